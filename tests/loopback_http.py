"""The tests' own HTTP calls to the sandboxes they start (admin switches, raw API reads).

httpx builds a TLS context for every client made without one, loading certifi's CA bundle: 25-30
ms of CPU each, and `httpx.get(...)` makes a client per call. The tests' calls made hundreds of
them (12 s of CPU in four engine test files alone). These helpers share one context, built the
same way httpx builds its default (certifi's authorities, verification on), so nothing about the
calls changes but the cost.
"""

from __future__ import annotations

import ssl
from typing import Any

import certifi
import httpx

TLS = ssl.create_default_context(cafile=certifi.where())


def client(**options: Any) -> httpx.Client:
    options.setdefault("verify", TLS)
    return httpx.Client(**options)


def request(method: str, url: str, **options: Any) -> httpx.Response:
    options.setdefault("verify", TLS)
    return httpx.request(method, url, **options)


def get(url: str, **options: Any) -> httpx.Response:
    return request("GET", url, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return request("POST", url, **options)


def put(url: str, **options: Any) -> httpx.Response:
    return request("PUT", url, **options)


def delete(url: str, **options: Any) -> httpx.Response:
    return request("DELETE", url, **options)


def patch(url: str, **options: Any) -> httpx.Response:
    return request("PATCH", url, **options)
