"""Send-time optimisation against fixed-hour and random-hour sends, on a simulated population.

    .venv/bin/python -m bench.send_time [--profiles 5000] [--seed 7]

Each simulated profile has a true reading habit over the 168 hours of its week (one or two
daily reading peaks, a weekend shift, a floor of reading at any hour) in its own time zone.
Four weeks of training: one message a day at a random hour; the profile opens it with a
probability that grows with how much it reads in the hour the message lands, at an hour
drawn from its habit over the next day, and only those opens are seen (as Wayline sees
them: tracking events). The engagement model (engagement/) learns from them alone. On the
fifth week each day's message is sent, within 24 hours of 06:00 local:

- optimised: at the model's best time (engagement.choice.best_time),
- fixed: at 10:00 local, the usual "morning newsletter",
- random: at a random hour of the window,
- oracle: at the best hour of the profile's true habit.

It prints the expected open rate of each (the average open probability of the sends, so
the figures carry no sampling noise of their own), the lift of the optimised sends over
the fixed and random ones, and how much of the oracle's lift over random the model
captures. The last line is `ratio=<optimised open rate / fixed-hour open rate>`.
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from engagement.choice import best_time
from engagement.habits import DAY, HOURS, habit, hour_of_week, shares

ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
BASE_RATE = 0.25
"""Open probability of a message landing in an hour of average reading."""
WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Person:
    tz: ZoneInfo
    truth: tuple[float, ...]  # probability of reading in each local hour of the week


def person(rng: random.Random) -> Person:
    """One or two daily peaks, shifted on weekends, over a floor of reading at any hour."""
    peaks = [rng.uniform(6, 23) for _ in range(rng.choice((1, 2)))]
    weekend_shift = rng.uniform(0, 3)
    spread = rng.uniform(0.8, 2.0)
    week = []
    for h in range(HOURS):
        day, hour = divmod(h, DAY)
        shift = weekend_shift if day >= 5 else 0.0
        peak = sum(
            pow(2.718, -(((hour - p - shift + 12) % 24 - 12) ** 2) / (2 * spread**2)) for p in peaks
        )
        week.append(0.15 + peak)
    return Person(ZoneInfo(rng.choice(ZONES)), tuple(shares(week)))


def open_probability(p: Person, sent: datetime) -> float:
    return min(0.95, BASE_RATE * HOURS * p.truth[hour_of_week(sent, p.tz)])


def open_hour(rng: random.Random, p: Person, sent: datetime) -> int:
    """When the opened message is read: an hour of the next day, as often as the habit says."""
    hours = [hour_of_week(sent + timedelta(hours=k), p.tz) for k in range(DAY)]
    return rng.choices(hours, weights=[p.truth[h] for h in hours])[0]


def train(rng: random.Random, people: list[Person]) -> list[list[float]]:
    """Four weeks of random-hour sends; the local hours of the opens each profile makes."""
    seen = [[0.0] * HOURS for _ in people]
    for day in range(28):
        for i, p in enumerate(people):
            sent = START + timedelta(days=day, hours=rng.randrange(24), minutes=rng.randrange(60))
            if rng.random() < open_probability(p, sent):
                seen[i][open_hour(rng, p, sent)] += 1
    return seen


def local_morning(p: Person, day: int) -> datetime:
    """06:00 local on the given day of the fifth week: when the day's send is decided."""
    date = (START + timedelta(days=28 + day)).astimezone(p.tz).date()
    return datetime(date.year, date.month, date.day, 6, tzinfo=p.tz).astimezone(UTC)


def at_local(p: Person, morning: datetime, hour: int) -> datetime:
    return morning + timedelta(hours=hour - 6)


def oracle(p: Person, morning: datetime) -> datetime:
    hours = [morning + timedelta(hours=k) for k in range(DAY)]
    return max(hours, key=lambda t: (open_probability(p, t), -t.timestamp()))


def evaluate(rng: random.Random, people: list[Person], seen: list[list[float]]) -> dict[str, float]:
    population = [sum(col) for col in zip(*seen, strict=True)]
    habits = [habit(s, population) for s in seen]
    rates: dict[str, list[float]] = {"optimised": [], "fixed": [], "random": [], "oracle": []}
    for day in range(7):
        for p, h in zip(people, habits, strict=True):
            morning = local_morning(p, day)
            choice = {
                "optimised": best_time(morning, WINDOW, p.tz, h),
                "fixed": at_local(p, morning, 10),
                "random": morning + timedelta(hours=rng.randrange(24)),
                "oracle": oracle(p, morning),
            }
            for name, sent in choice.items():
                rates[name].append(open_probability(p, sent))
    return {name: statistics.fmean(values) for name, values in rates.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    people = [person(rng) for _ in range(args.profiles)]
    seen = train(rng, people)
    opens = [sum(s) for s in seen]
    r = evaluate(rng, people, seen)
    print(f"send-time optimisation: {args.profiles} simulated profiles, seed {args.seed}")
    print(f"  training: 28 days, median {statistics.median(opens):.0f} opens per profile")
    for name in ("optimised", "fixed", "random", "oracle"):
        print(f"  {name:<10} open rate {r[name]:.3f}")
    print(f"  lift over fixed hour:  {r['optimised'] / r['fixed'] - 1:+.1%}")
    print(f"  lift over random hour: {r['optimised'] / r['random'] - 1:+.1%}")
    captured = (r["optimised"] - r["random"]) / (r["oracle"] - r["random"])
    print(f"  share of the oracle's lift over random captured: {captured:.0%}")
    print(f"ratio={r['optimised'] / r['fixed']:.2f}")


if __name__ == "__main__":
    main()
