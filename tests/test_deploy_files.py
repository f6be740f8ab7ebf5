"""The container deployment as shipped: the image, the compose cluster and the Kubernetes
manifests say the same things, name only real settings, hold no secret, and run migrations
once before the replicas; `docker compose config` validates the compose file where it exists."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import REPOSITORY
from tests.test_configuration_docs import variables

DEPLOY = REPOSITORY / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
REPLICAS = ("comptoir-a", "comptoir-b")
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(:?[-?])?([^}]*)\}")
SETTINGS = set(variables())


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _template(path: Path) -> set[str]:
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", path.read_text(encoding="utf-8"), re.M)
    return set(names)


def test_the_compose_cluster_migrates_once_then_starts_two_replicas_behind_caddy() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", *REPLICAS, "caddy"}
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    for name in REPLICAS:
        replica = services[name]
        assert replica["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert replica["image"] == migrate["image"]
        assert replica["environment"] == migrate["environment"]
        assert "command" not in replica  # the image's default: comptoir serve
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"caddy"}  # nothing else is reachable from outside
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    upstreams = re.search(r"reverse_proxy (.+) \{", caddyfile)
    assert upstreams is not None
    assert upstreams.group(1).split() == [f"{name}:8080" for name in REPLICAS]
    assert "health_uri /readyz?traffic" in caddyfile


def test_every_variable_of_the_compose_file_is_in_its_template_and_secrets_have_no_default() -> (
    None
):
    text = COMPOSE.read_text(encoding="utf-8")
    template = _template(DEPLOY / "compose.env.example")
    used = {m.group(1): (m.group(2), m.group(3)) for m in REFERENCE.finditer(text)}
    assert set(used) <= template, set(used) - template
    for secret in ("POSTGRES_PASSWORD", "COMPTOIR_PSEUDONYM_KEY"):
        assert used[secret][0] == ":?", secret  # refused when unset: no default password
    environment = _compose()["services"]["migrate"]["environment"]
    assert set(environment) <= SETTINGS, set(environment) - SETTINGS
    for service in _compose()["services"].values():  # a password is only ever a reference
        for name, value in (service.get("environment") or {}).items():
            if "PASSWORD" in name:
                assert str(value).startswith("${"), name


def test_the_image_runs_as_a_user_with_a_health_check_and_the_locked_versions() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in dockerfile.splitlines() if line and not line.startswith("#")]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    assert "--require-hashes -r requirements/runtime.lock" in dockerfile
    assert 'ENTRYPOINT ["comptoir"]' in lines and 'CMD ["serve"]' in lines
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPOSITORY / source).exists(), source
    for name in re.findall(r"(COMPTOIR_[A-Z0-9_]+)=", dockerfile):
        assert name in SETTINGS, name


def _manifests() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert {"apiVersion", "kind", "metadata"} <= set(manifest), path.name
        found[manifest["kind"]] = manifest
    return found


def test_the_kubernetes_manifests_migrate_in_a_job_and_serve_when_ready() -> None:
    manifests = _manifests()
    assert set(manifests) == {"Job", "Deployment", "Service", "Secret"}
    job = manifests["Job"]["spec"]["template"]["spec"]
    deployment = manifests["Deployment"]["spec"]
    pod = deployment["template"]["spec"]
    (migrate,) = job["containers"]
    (server,) = pod["containers"]
    assert migrate["args"] == ["db", "upgrade"] and server["args"] == ["serve"]
    assert migrate["image"] == server["image"]
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz?traffic"
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert deployment["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert pod["terminationGracePeriodSeconds"] > 8 + 3  # the drain, after the preStop pause
    for spec in (job, pod):
        assert spec["securityContext"]["runAsNonRoot"] is True
    labels = deployment["template"]["metadata"]["labels"]
    assert deployment["selector"]["matchLabels"].items() <= labels.items()
    assert manifests["Service"]["spec"]["selector"].items() <= labels.items()
    secret = manifests["Secret"]["stringData"]
    assert set(secret) <= SETTINGS and all(value == "" for value in secret.values())


def test_the_package_carries_every_file_the_server_reads() -> None:
    """The image installs the package: its package data covers every file of `bot/` that is
    not Python (the pages, the templates, the migrations' template)."""
    with (REPOSITORY / "pyproject.toml").open("rb") as handle:
        package_data = tomllib.load(handle)["tool"]["setuptools"]["package-data"]
    unpackaged = []
    for path in (REPOSITORY / "bot").rglob("*"):
        if not path.is_file() or path.suffix in (".py", ".pyc"):
            continue
        covered = False
        for package, patterns in package_data.items():
            folder = REPOSITORY / package.replace(".", "/")
            if folder in path.parents:
                relative = path.relative_to(folder).as_posix()
                covered |= any(
                    fnmatch.fnmatch(relative, p) and relative.count("/") == p.count("/")
                    for p in patterns
                )
        if not covered:
            unpackaged.append(str(path.relative_to(REPOSITORY)))
    assert unpackaged == []


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="docker compose is not installed here",
)
def test_docker_compose_validates_the_file() -> None:
    environment = {
        "COMPTOIR_DOMAIN": "comptoir.example.org",
        "POSTGRES_PASSWORD": "x" * 24,
        "COMPTOIR_PSEUDONYM_KEY": "0" * 64,
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
