"""Wait until a URL answers 200: ``python -m rag.wait URL [TIMEOUT_S]`` (used by `make run`)."""

from __future__ import annotations

import sys
import time

import httpx


def wait_for(url: str, timeout_s: float = 300.0, interval_s: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(interval_s)
    return False


if __name__ == "__main__":
    target = sys.argv[1]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
    if not wait_for(target, limit):
        print(
            f"error: {target} did not answer within {limit:.0f} s; see the API's log above",
            file=sys.stderr,
        )
        sys.exit(1)
