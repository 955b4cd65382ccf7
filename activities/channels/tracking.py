"""Open and click tracking for HTML email: a pixel and links redirected through signed URLs.

The API answers them (api/routes/tracking.py) by recording `message.opened` and
`message.clicked` events, so journeys can wait for a reaction like for any other event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from html import escape, unescape

from core.signing import Tracked, tracking_token
from journeys.decided import ShownOffer

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def add_tracking(
    html: str,
    *,
    secret: str,
    base_url: str,
    tracked: Tracked,
    keep: tuple[str, ...] = (),
    shown: Sequence[ShownOffer] = (),
) -> str:
    """Links become `<base>/v1/t/click?token=…`; a pixel `<base>/v1/t/open?token=…` is added.

    URLs starting with one of `keep` (the unsubscribe link) are left as they are. The pixel
    names every offer in `shown` (an open is an impression of each); a link names the offers
    whose content holds it (following it is a click on them).
    """

    def rewrite(match: re.Match[str]) -> str:
        url = unescape(match.group(3))
        if url.startswith(keep):
            return match.group(0)
        offers = tuple((o.proposition_id, o.offer_id) for o in shown if url in o.links)
        token = tracking_token(secret, replace(tracked, url=url, offers=offers))
        target = escape(f"{base_url}/v1/t/click?token={token}")
        return f"{match.group(1)}{match.group(2)}{target}{match.group(2)}"

    html = _HREF.sub(rewrite, html)
    every = tuple((o.proposition_id, o.offer_id) for o in shown)
    pixel_token = tracking_token(secret, replace(tracked, offers=every))
    pixel = (
        f'<img src="{escape(base_url)}/v1/t/open?token={pixel_token}" width="1" height="1" '
        'alt="" style="display:none">'
    )
    found = list(_BODY_END.finditer(html))
    if found:
        at = found[-1].start()
        return html[:at] + pixel + html[at:]
    return html + pixel
