"""Keys and torrcs of the lab's private Tor network (see monitor/lab/tornet.py).

Settings follow ../shared/notes/tor-private-network.md (measured on this kind of machine):
4 directory authorities that are also the relays (guard, HSDir), short voting intervals
(delays under 2 s make tor exit), no DNS anywhere."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from monitor.errors import TorError
from monitor.tor import TorrcValue

AUTHORITIES = 4
INSTALL_HINT = "apt-get install tor"

# every node of the network
COMMON: dict[str, TorrcValue] = {
    "TestingTorNetwork": 1,
    "PathsNeededToBuildCircuits": "0.67",
    "ShutdownWaitLength": 0,
    "SafeLogging": 0,
    "CookieAuthentication": 1,
}

RELAY: dict[str, TorrcValue] = {
    "Address": "127.0.0.1",
    "SocksPort": 0,
    "ExitRelay": 0,
    "ExitPolicy": "reject *:*",
    "AssumeReachable": 1,
    "ContactInfo": "lab@bazaarwatch.invalid",
    "ServerDNSResolvConfFile": "/dev/null",
    "ServerDNSDetectHijacking": 0,
    "ServerDNSTestAddresses": "",
}

AUTHORITY: dict[str, TorrcValue] = {
    "AuthoritativeDirectory": 1,
    "V3AuthoritativeDirectory": 1,
    "TestingDirAuthVoteGuard": "*",
    "TestingDirAuthVoteHSDir": "*",
    "TestingDirAuthVoteExit": "*",
    "TestingMinExitFlagThreshold": 0,
    "V3AuthNIntervalsValid": 2,
    "TestingV3AuthInitialVotingInterval": 5,
    "TestingV3AuthInitialVoteDelay": 2,
    "TestingV3AuthInitialDistDelay": 2,
    "V3AuthVotingInterval": 10,
    "V3AuthVoteDelay": 2,
    "V3AuthDistDelay": 2,
}


@dataclass
class Node:
    """One tor process of the network: its role, ports and (once started) pid."""

    name: str
    role: str  # authority | service | client
    dir: Path
    control_port: int
    or_port: int = 0
    dir_port: int = 0
    socks_port: int = 0
    pid: int | None = None
    fingerprint: str = ""
    v3ident: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def torrc_path(self) -> Path:
        return self.dir / "torrc"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "notice.log"

    @property
    def cookie_path(self) -> Path:
        return self.data_dir / "control_auth_cookie"

    def to_json(self) -> dict:
        return {"name": self.name, "role": self.role, "dir": str(self.dir),
                "control_port": self.control_port, "or_port": self.or_port,
                "dir_port": self.dir_port, "socks_port": self.socks_port, "pid": self.pid,
                "fingerprint": self.fingerprint, "v3ident": self.v3ident}

    @classmethod
    def from_json(cls, d: dict) -> Node:
        return cls(**{**d, "dir": Path(d["dir"])})


def _run(argv: list[str], what: str, stdin: str = "") -> str:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120)
    except FileNotFoundError as e:
        raise TorError(f"{argv[0]} not found: {INSTALL_HINT}") from e
    except (OSError, subprocess.TimeoutExpired) as e:
        raise TorError(f"{what} failed: {e}") from e
    if done.returncode != 0:
        raise TorError(f"{what} failed (status {done.returncode}): "
                       f"{(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout


def make_authority_keys(node: Node, *, tor_binary: str, gencert_binary: str) -> None:
    """Authority identity/signing keys and certificate (tor-gencert), then the relay keys
    (tor --list-fingerprint); fills node.v3ident and node.fingerprint."""
    keys = node.data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    node.data_dir.chmod(0o700)
    cert = keys / "authority_certificate"
    _run([gencert_binary, "--create-identity-key", "--passphrase-fd", "0",
          "-i", str(keys / "authority_identity_key"), "-s", str(keys / "authority_signing_key"),
          "-c", str(cert), "-m", "12", "-a", f"127.0.0.1:{node.dir_port}"],
         f"tor-gencert for {node.name}", stdin="\n")
    node.v3ident = next(line.split()[1] for line in cert.read_text().splitlines()
                        if line.startswith("fingerprint "))
    empty = node.dir / "empty.torrc"
    empty.write_text("")
    _run([tor_binary, "--list-fingerprint", "--quiet", "--defaults-torrc", str(empty),
          "-f", str(empty), "--DataDirectory", str(node.data_dir), "--ORPort", "1",
          "--Nickname", node.name], f"tor --list-fingerprint for {node.name}")
    node.fingerprint = (node.data_dir / "fingerprint").read_text().split()[1]


def dir_authority_lines(authorities: list[Node]) -> list[str]:
    return [f"{a.name} orport={a.or_port} no-v2 v3ident={a.v3ident} "
            f"127.0.0.1:{a.dir_port} {a.fingerprint}" for a in authorities]


def node_torrc(node: Node, authorities: list[Node]) -> dict[str, TorrcValue]:
    """The torrc options of `node`."""
    options: dict[str, TorrcValue] = {
        **COMMON,
        "Nickname": node.name,
        "DataDirectory": str(node.data_dir),
        "PidFile": str(node.data_dir / "tor.pid"),
        "Log": f"notice file {node.log_path}",
        "ControlPort": f"127.0.0.1:{node.control_port}",
        "DirAuthority": dir_authority_lines(authorities),
    }
    if node.role == "authority":
        options.update(RELAY)
        options.update(AUTHORITY)
        options["ORPort"] = f"127.0.0.1:{node.or_port}"
        options["DirPort"] = f"127.0.0.1:{node.dir_port}"
    elif node.role == "service":
        options["SocksPort"] = 0
    else:
        options["SocksPort"] = f"127.0.0.1:{node.socks_port} IsolateSOCKSAuth"
    return options


def client_options(authorities: list[Node]) -> dict[str, TorrcValue]:
    """What any extra client tor needs to join the network (for a managed TorController)."""
    return {**{k: v for k, v in COMMON.items() if k != "SafeLogging"},
            "DirAuthority": dir_authority_lines(authorities)}
