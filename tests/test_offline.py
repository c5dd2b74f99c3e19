"""The suite runs offline: the autouse fixture in conftest.py blocks the network."""

import socket
import urllib.request

import pytest
from conftest import NetworkBlocked


def test_remote_connection_is_blocked():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlocked):
            sock.connect(("93.184.215.14", 443))


def test_dns_and_http_are_blocked():
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("pypi.org", 443)
    with pytest.raises((NetworkBlocked, OSError)):
        urllib.request.urlopen("https://example.com", timeout=1)


def test_loopback_is_allowed():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.connect(server.getsockname())
