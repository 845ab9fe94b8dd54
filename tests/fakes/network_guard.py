"""No traffic leaves this machine while the tests run: loopback and unix sockets only.

`install_network_guard()` adds an audit hook (PEP 578) that refuses, before any packet is sent:

- `socket.connect`, `sendto` and `sendmsg` to an IPv4/IPv6 address outside 127.0.0.0/8 and ::1
  (unix, netlink and other non-IP sockets are not touched);
- name resolution of any host that is not an IP literal, `localhost` or this machine's own name,
  and reverse lookups of non-loopback addresses (so no DNS query goes out; IP literals resolve
  without traffic and are checked on connect);
  names under `.invalid` (RFC 6761) fail as "not known" without counting as an attempt.

A refused call raises `NetworkBlocked` (an `OSError`; `ResolutionBlocked` is also a
`socket.gaierror`), so code under test fails as it would with no network. Because such code may
catch that error, every refusal is also recorded, and the autouse fixture `no_outside_network`
fails the test that caused it; a test that provokes one on purpose wraps it in
`expect_blocked()`. The guard also removes every `OPENAI_*` variable from the environment, so
no real key or endpoint can reach the code under test (or a subprocess it starts).

Audit hooks cannot be removed; installing twice is harmless. The guard sees Python's socket
module only: native code with its own sockets (DuckDB, doltlite) is outside it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

_REVERSE = "socket.gethostbyaddr"
_RESOLVE_EVENTS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", _REVERSE}
)
_SEND_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_IP_FAMILIES = (socket.AF_INET, socket.AF_INET6)

_lock = threading.Lock()
_blocked: list[str] = []
_installed = False
_local_names: frozenset[str] = frozenset()


class NetworkBlocked(OSError):
    """A connection or lookup to somewhere other than this machine, refused by the test guard."""


class ResolutionBlocked(NetworkBlocked, socket.gaierror):
    """A host name lookup that would have asked a DNS server, refused by the test guard."""


def install_network_guard() -> list[str]:
    """Refuse non-loopback traffic from now on; returns the OPENAI_* variables it removed."""
    global _installed, _local_names
    removed = sorted(name for name in os.environ if name.upper().startswith("OPENAI_"))
    for name in removed:
        del os.environ[name]
    if not _installed:
        _local_names = frozenset({"localhost", socket.gethostname().lower()})
        sys.addaudithook(_audit)
        _installed = True
    return removed


def take_blocked() -> list[str]:
    """The refusals recorded since the last call, cleared."""
    with _lock:
        taken = list(_blocked)
        _blocked.clear()
    return taken


@contextmanager
def expect_blocked() -> Iterator[list[str]]:
    """Refusals inside the block are expected: they are collected here, not failed on."""
    take_blocked()
    seen: list[str] = []
    try:
        yield seen
    finally:
        seen.extend(take_blocked())


@pytest.fixture(autouse=True)
def no_outside_network() -> Iterator[None]:
    """Fails the test during which the guard refused traffic (even if the code caught it)."""
    take_blocked()
    yield
    refused = take_blocked()
    if refused:
        pytest.fail(
            "the test tried to reach outside this machine (refused by the network guard): "
            + "; ".join(refused),
            pytrace=False,
        )


# -- the hook ------------------------------------------------------------------------------
def _audit(event: str, args: tuple[object, ...]) -> None:
    if event in _SEND_EVENTS:
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) in _IP_FAMILIES and not _address_is_local(address):
            _refuse(NetworkBlocked, f"{event.removeprefix('socket.')} to {address!r}")
    elif event in _RESOLVE_EVENTS:
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not isinstance(host, str) or _name_is_local(host, reverse=event == _REVERSE):
            return
        if host.rstrip(".").lower().endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        _refuse(ResolutionBlocked, f"resolving {host!r}")


def _refuse(kind: type[NetworkBlocked], what: str) -> None:
    with _lock:
        _blocked.append(what)
    raise kind(f"network guard: {what} refused; tests may reach only 127.0.0.1 and ::1")


def _address_is_local(address: object) -> bool:
    if address is None:  # sendmsg on a connected socket
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a host name here would be resolved inside connect(): refuse it
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def _name_is_local(host: str, *, reverse: bool = False) -> bool:
    """True when looking `host` up asks no DNS server (or only about this machine)."""
    name = host.rstrip(".").lower()
    if not name or name in _local_names or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        pass
    else:  # a literal resolves without traffic; a reverse lookup of it asks DNS unless local
        return not reverse or _address_is_local((name,))
    try:
        socket.inet_aton(name)  # "0", "2130706433", "127.1": numeric forms, no lookup
    except OSError:
        return False
    return not reverse
