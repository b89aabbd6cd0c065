"""deploy/kubernetes: every manifest against its schema (Kubernetes' own, strict, or KEDA's models),
and the names the manifests give each other agree: selectors, Services, the Secret's keys, KEDA's
target and its metrics URL. No cluster needed; the validators are shown to catch a broken copy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pydantic
import pytest
import yaml
from cloudcoil.models.keda import v1alpha1 as keda
from kubernetes_validate.utils import SchemaNotFoundError

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUSTOMIZATION = MANIFESTS / "kustomization.yaml"
# The oldest Kubernetes the manifests promise (pyproject's kubernetes-validate>=1.31 has its
# schemas); a field newer than that fails here.
KUBERNETES_VERSION = "1.31.0"
KEDA_MODELS: dict[str, type[pydantic.BaseModel]] = {
    "ScaledObject": keda.ScaledObject,
    "TriggerAuthentication": keda.TriggerAuthentication,
}
# The metrics-api scaler's metadata keys (KEDA 2.16): its models type `metadata` as any strings.
METRICS_API_KEYS = {
    "url",
    "format",
    "valueLocation",
    "targetValue",
    "activationTargetValue",
    "authMode",
    "unsafeSsl",
}
WORKER = [
    "python",
    "-m",
    "backend",
    "worker",
    "--coordinator",
    "http://chatterbox-coordinator:8000",
]


def manifest_files() -> list[Path]:
    return sorted(path for path in MANIFESTS.glob("*.yaml") if path != KUSTOMIZATION)


def documents() -> list[tuple[str, dict[str, Any]]]:
    """(file:index, document) for every non-empty YAML document of every manifest."""
    found = []
    for path in manifest_files():
        for index, document in enumerate(yaml.safe_load_all(path.read_text())):
            if document is not None:
                found.append((f"{path.name}:{index}", document))
    return found


DOCUMENTS = documents()


def validate(document: dict[str, Any]) -> None:
    """Raise unless `document` passes its validator. Nothing passes for want of one: a kind that
    is neither KEDA's nor in Kubernetes' schemas raises SchemaNotFoundError."""
    if document.get("apiVersion", "").startswith("keda.sh/"):
        model = KEDA_MODELS.get(document["kind"])
        if model is None:
            raise SchemaNotFoundError(document["kind"], "KEDA 2.16", document["apiVersion"])
        parsed = model.model_validate(document)
        # Pydantic drops fields it does not know; the round trip shows nothing was dropped.
        round_trip = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
        if round_trip != document:
            raise ValueError(
                f"{document['kind']} changed in its model: {diff(document, round_trip)}"
            )
        return
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def diff(wanted: Any, got: Any, where: str = "") -> list[str]:
    if isinstance(wanted, dict) and isinstance(got, dict):
        return [
            line
            for key in wanted.keys() | got.keys()
            for line in diff(wanted.get(key), got.get(key), f"{where}.{key}")
        ]
    if isinstance(wanted, list) and isinstance(got, list) and len(wanted) == len(got):
        return [
            line
            for i, pair in enumerate(zip(wanted, got, strict=True))
            for line in diff(*pair, f"{where}[{i}]")
        ]
    return [] if wanted == got else [f"{where}: {wanted!r} became {got!r}"]


def one(kind: str, name: str) -> dict[str, Any]:
    matches = [d for _, d in DOCUMENTS if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{len(matches)} {kind} named {name}"
    return matches[0]


def workloads() -> list[dict[str, Any]]:
    return [d for _, d in DOCUMENTS if d["kind"] in ("Deployment", "StatefulSet")]


def containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for workload in workloads():
        for container in workload["spec"]["template"]["spec"]["containers"]:
            yield f"{workload['metadata']['name']}/{container['name']}", container


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_kustomization_lists_exactly_the_manifests_in_the_folder() -> None:
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a manifest is listed twice"
    assert sorted(listed) == [path.name for path in manifest_files()]


def test_every_manifest_has_documents_and_no_namespace() -> None:
    assert {path.name for path in manifest_files()} == {name.split(":")[0] for name, _ in DOCUMENTS}
    for name, document in DOCUMENTS:
        # Namespace-less: `kubectl apply -n` or kustomize's `namespace:` places them.
        assert "namespace" not in document["metadata"], name


@pytest.mark.parametrize(
    "document",
    [d for _, d in DOCUMENTS if d["kind"] not in KEDA_MODELS],
    ids=[n for n, d in DOCUMENTS if d["kind"] not in KEDA_MODELS],
)
def test_each_kubernetes_manifest_passes_the_strict_schema(document: dict[str, Any]) -> None:
    validate(document)


@pytest.mark.parametrize(
    "document",
    [d for _, d in DOCUMENTS if d["kind"] in KEDA_MODELS],
    ids=[n for n, d in DOCUMENTS if d["kind"] in KEDA_MODELS],
)
def test_each_keda_manifest_passes_its_model_with_every_field_kept(
    document: dict[str, Any],
) -> None:
    validate(document)


def test_the_folder_holds_the_contracts_objects() -> None:
    kinds = sorted((d["kind"], d["metadata"]["name"]) for _, d in DOCUMENTS)
    assert kinds == [
        ("Deployment", "chatterbox-speech"),
        ("Deployment", "chatterbox-worker"),
        ("PersistentVolumeClaim", "chatterbox-models"),
        ("ScaledObject", "chatterbox-worker"),
        ("Secret", "chatterbox-tokens"),
        ("Service", "chatterbox-coordinator"),
        ("Service", "chatterbox-coordinator-headless"),
        ("Service", "chatterbox-speech"),
        ("StatefulSet", "chatterbox-coordinator"),
        ("TriggerAuthentication", "chatterbox-worker-token"),
    ]


def test_each_workloads_selector_matches_its_own_pods_and_no_other_workloads() -> None:
    for workload in workloads():
        selector = workload["spec"]["selector"]["matchLabels"]
        matching = [
            w["metadata"]["name"]
            for w in workloads()
            if selects(selector, w["spec"]["template"]["metadata"]["labels"])
        ]
        assert matching == [workload["metadata"]["name"]], workload["metadata"]["name"]


def test_each_service_reaches_one_workloads_named_port() -> None:
    for _, service in DOCUMENTS:
        if service["kind"] != "Service":
            continue
        name = service["metadata"]["name"]
        chosen = [
            w
            for w in workloads()
            if selects(service["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(chosen) == 1, f"{name} selects {len(chosen)} workloads"
        ports = {
            port["name"]: port["containerPort"]
            for container in chosen[0]["spec"]["template"]["spec"]["containers"]
            for port in container.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"{name}: no container port {port['targetPort']}"
            assert ports[port["targetPort"]] == 8000


def test_the_coordinator_is_one_pod_with_its_own_data_volume_that_leaves_scenes_to_workers() -> (
    None
):
    coordinator = one("StatefulSet", "chatterbox-coordinator")
    spec = coordinator["spec"]
    assert spec["replicas"] == 1  # one writer of the SQLite job store
    headless = one("Service", spec["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    (claim,) = spec["volumeClaimTemplates"]
    (container,) = spec["template"]["spec"]["containers"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/data"} in container["volumeMounts"]
    settings = env(container)
    assert settings["CHATTERBOX_LOCAL_WORKER"] == "false"
    assert settings["CHATTERBOX_HOST"] == "0.0.0.0"
    assert settings["CHATTERBOX_DATA_DIR"] == "/data"
    assert "chatterbox-coordinator" in json.loads(settings["CHATTERBOX_ALLOWED_HOSTS"])
    # Jobs are recorded for the coordinator's engine; GPU workers take only Chatterbox jobs.
    assert (
        settings["CHATTERBOX_ENGINE"]
        == env(one_container("chatterbox-worker"))["CHATTERBOX_ENGINE"]
    )
    assert "nvidia.com/gpu" not in container["resources"].get("limits", {})


def one_container(deployment: str) -> dict[str, Any]:
    (container,) = one("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return container


def test_workers_pull_from_the_coordinator_service_each_on_one_gpu() -> None:
    worker = one_container("chatterbox-worker")
    assert worker["command"] == WORKER
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert env(worker)["CHATTERBOX_ENGINE"] == "chatterbox"
    # KEDA owns the replica count: a fixed one would be reset on every apply.
    assert "replicas" not in one("Deployment", "chatterbox-worker")["spec"]

    speech = one_container("chatterbox-speech")
    assert speech["command"][: len(WORKER)] == WORKER
    flags = speech["command"][len(WORKER) :]
    assert flags == ["--serve", "--host", "0.0.0.0", "--port", "8000"]
    assert speech["resources"]["limits"]["nvidia.com/gpu"] == 1
    # It listens beyond loopback, so it has the API token and answers its Service's name.
    assert "chatterbox-speech" in json.loads(env(speech)["CHATTERBOX_ALLOWED_HOSTS"])
    assert "CHATTERBOX_API_TOKEN" in env(speech)

    coordinator = urlsplit(WORKER[-1])
    service = one("Service", coordinator.hostname)
    assert coordinator.port in [port["port"] for port in service["spec"]["ports"]]


def test_every_container_runs_unprivileged_with_requests_and_health_probes_where_it_listens() -> (
    None
):
    for workload in workloads():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
    for name, container in containers():
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), name
        assert container["image"] == "chatterbox-studio-backend:latest", name
        if not container.get("ports"):
            continue  # a plain worker serves nothing to probe
        for probe in ("readinessProbe", "livenessProbe"):
            check = container[probe]["httpGet"]
            assert check["path"] == "/health", f"{name} {probe}"
            # The Host check answers localhost, never the pod IP the kubelet would send.
            assert check["httpHeaders"] == [{"name": "Host", "value": "localhost"}], (
                f"{name} {probe}"
            )


def test_every_secret_and_volume_reference_names_something_that_exists() -> None:
    secret = one("Secret", "chatterbox-tokens")
    keys = set(secret["stringData"])
    assert keys == {"api-token", "worker-token"}
    references = 0
    for name, container in containers():
        for item in container["env"]:
            if ref := item.get("valueFrom", {}).get("secretKeyRef"):
                assert ref["name"] == "chatterbox-tokens", name
                assert ref["key"] in keys, f"{name}: {item['name']} names key {ref['key']}"
                references += 1
        assert env(container)["CHATTERBOX_WORKER_TOKEN"]["secretKeyRef"]["key"] == "worker-token"
    assert references >= 5
    for target in one("TriggerAuthentication", "chatterbox-worker-token")["spec"][
        "secretTargetRef"
    ]:
        assert (target["name"], target["key"] in keys) == ("chatterbox-tokens", True)
    for workload in workloads():
        for volume in workload["spec"]["template"]["spec"].get("volumes", []):
            if claim := volume.get("persistentVolumeClaim"):
                assert one("PersistentVolumeClaim", claim["claimName"])


def test_the_secret_in_the_repository_holds_placeholders_not_tokens() -> None:
    for key, value in one("Secret", "chatterbox-tokens")["stringData"].items():
        assert value.startswith("placeholder-"), key


def test_keda_scales_the_worker_deployment_on_pending_scenes_from_the_coordinator_down_to_zero() -> (
    None
):
    spec = one("ScaledObject", "chatterbox-worker")["spec"]
    target = spec["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment"
    assert one("Deployment", target["name"])["metadata"]["name"] == "chatterbox-worker"
    assert spec["minReplicaCount"] == 0
    assert 1 <= spec["maxReplicaCount"] <= 64
    assert spec["pollingInterval"] > 0
    assert spec["cooldownPeriod"] >= spec["pollingInterval"]

    (trigger,) = spec["triggers"]
    assert trigger["type"] == "metrics-api"
    metadata = trigger["metadata"]
    assert set(metadata) <= METRICS_API_KEYS
    assert metadata["format"] == "prometheus"
    assert metadata["valueLocation"] == "chatterbox_scenes_pending"
    assert metadata["authMode"] == "bearer"
    assert float(metadata["targetValue"]) > 0
    url = urlsplit(metadata["url"])
    assert (url.scheme, url.path) == ("http", "/metrics")
    service = one("Service", url.hostname)
    assert url.port in [port["port"] for port in service["spec"]["ports"]]
    assert selects(
        service["spec"]["selector"],
        one("StatefulSet", "chatterbox-coordinator")["spec"]["template"]["metadata"]["labels"],
    )
    # KEDA sends Host: <the URL's name>, which the coordinator must answer.
    coordinator = one("StatefulSet", "chatterbox-coordinator")["spec"]["template"]["spec"]
    assert url.hostname in json.loads(env(coordinator["containers"][0])["CHATTERBOX_ALLOWED_HOSTS"])

    authentication = one("TriggerAuthentication", trigger["authenticationRef"]["name"])
    (secret_ref,) = authentication["spec"]["secretTargetRef"]
    assert secret_ref["parameter"] == "token"  # the bearer token of authMode bearer
    assert secret_ref["key"] == "worker-token"  # never the API token


def broken(kind: str, name: str) -> dict[str, Any]:
    return copy.deepcopy(one(kind, name))


def test_the_kubernetes_schema_catches_a_misspelt_field_a_wrong_type_and_an_unknown_kind() -> None:
    misspelt = broken("StatefulSet", "chatterbox-coordinator")
    misspelt["spec"]["template"]["spec"]["containers"][0]["volumeMount"] = []
    with pytest.raises(kubernetes_validate.ValidationError, match="volumeMount"):
        validate(misspelt)

    wrong_type = broken("Deployment", "chatterbox-worker")
    wrong_type["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "thirty"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(wrong_type)

    unknown = broken("Service", "chatterbox-speech")
    unknown["kind"] = "Servce"
    with pytest.raises(SchemaNotFoundError):
        validate(unknown)


def test_the_keda_models_catch_a_misspelt_field_a_wrong_type_and_an_unknown_kind() -> None:
    misspelt = broken("ScaledObject", "chatterbox-worker")
    misspelt["spec"]["minReplicaCont"] = misspelt["spec"].pop("minReplicaCount")
    with pytest.raises(ValueError, match="minReplicaCont"):
        validate(misspelt)

    nested = broken("TriggerAuthentication", "chatterbox-worker-token")
    nested["spec"]["secretTargetRef"][0]["parametre"] = "token"
    with pytest.raises(ValueError, match="parametre"):
        validate(nested)

    wrong_type = broken("ScaledObject", "chatterbox-worker")
    wrong_type["spec"]["minReplicaCount"] = "zero"
    with pytest.raises(pydantic.ValidationError):
        validate(wrong_type)

    unknown = broken("ScaledObject", "chatterbox-worker")
    unknown["kind"] = "ScaledThing"
    with pytest.raises(SchemaNotFoundError):
        validate(unknown)
