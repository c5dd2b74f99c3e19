"""Shared fixtures: every test runs offline, in a fresh cache, on one thread."""

from __future__ import annotations

import socket

import pytest
import torch

torch.set_num_threads(1)

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "", None}


class NetworkBlocked(RuntimeError):
    """Raised when a test tries to reach the network."""


def _guard(original):
    def guarded(self, address, *args, **kwargs):
        host = address[0] if isinstance(address, tuple) else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOCAL_HOSTS:
            raise NetworkBlocked(f"network access blocked in tests: {address!r}")
        return original(self, address, *args, **kwargs)

    return guarded


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Block every socket connection that is not to the loopback interface."""
    monkeypatch.setattr(socket.socket, "connect", _guard(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guard(socket.socket.connect_ex))

    def no_lookup(host, *args, **kwargs):
        if host not in _LOCAL_HOSTS:
            raise NetworkBlocked(f"DNS lookup blocked in tests: {host!r}")
        return _getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)


_getaddrinfo = socket.getaddrinfo


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    """Point GENAUG_CACHE at an empty folder and pin the smoke profile."""
    monkeypatch.setenv("GENAUG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENAUG_PROFILE", "smoke")
    return tmp_path / "cache"
