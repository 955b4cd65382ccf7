"""What a validator reports: a problem with its path, and the path's text form.

Shared by the journey validator and the audience rule parser, so an API answer names a
field the same way for both (`nodes.big_cart.branches[0].when`, `definition.and[1].value`).
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict

_PLAIN_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


class Problem(BaseModel):
    """One thing wrong with a definition: where (`nodes.x.next`) and what."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str


def format_path(parts: list[str | int]) -> str:
    """`["nodes", "x", "branches", 0, "when"]` → `nodes.x.branches[0].when`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_SEGMENT.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text
