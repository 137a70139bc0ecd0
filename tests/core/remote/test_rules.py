"""The rules of cluster indexing, each on its own (no cluster): the address rule (TLS with
mutual certificates off loopback), the execution provider choice, --path-map, the
certificates `cluster-certs` makes, and the refusal of a worker that differs."""

from __future__ import annotations

import ssl
import stat

import pytest

from core.remote.address import (ClusterError, cert_files, is_loopback, parse_address,
                                 plan_connection)
from core.remote.pathmap import parse_path_maps
from core.remote.providers import CPU, CUDA, choose_execution, gpu_visible
from core.remote.task import AnalysisSpec, WorkerIdentity, refusal


# -- the address rule -----------------------------------------------------------------------

@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True),
    ("LOCALHOST", True), ("10.0.0.5", False), ("192.168.1.20", False), ("0.0.0.0", False),
    ("::", False), ("gpu-box", False), ("127.0.0.1.evil.example", False),
    ("localhost.example", False)])
def test_loopback_is_decided_by_the_literal_never_by_a_lookup(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("text, expected", [
    ("tls://gpu-box:9000", ("tls", "gpu-box", 9000)),
    ("tcp://127.0.0.1", ("tcp", "127.0.0.1", 8786)),
    ("gpu-box", ("tls", "gpu-box", 8786)),
    ("tls://[fe80::1]:8786", ("tls", "fe80::1", 8786)),
    ("tcp://[::1]", ("tcp", "::1", 8786)),
    ("fe80::1", ("tls", "fe80::1", 8786)),
])
def test_address_forms(text, expected):
    parsed = parse_address(text)
    assert (parsed.scheme, parsed.host, parsed.port) == expected


@pytest.mark.parametrize("text", ["http://host:80", "tls://host:notaport", "tls://:8786",
                                  "tls://host:70000", "ucx://host:1"])
def test_bad_addresses_are_refused_with_a_reason(text):
    with pytest.raises(ClusterError, match="cluster address"):
        parse_address(text)


def test_plaintext_to_a_machine_that_is_not_loopback_is_refused():
    with pytest.raises(ClusterError) as refused:
        plan_connection("tcp://192.168.1.20:8786", role="client")
    message = str(refused.value)
    assert "refusing plaintext to 192.168.1.20" in message
    assert "tls://192.168.1.20:8786" in message and "--insecure" in message
    with pytest.raises(ClusterError, match="refusing plaintext"):
        plan_connection("tcp://gpu-box", role="worker")
    with pytest.raises(ClusterError, match="refusing plaintext"):  # every interface
        plan_connection("tcp://0.0.0.0:8786", role="scheduler")


def test_plaintext_on_loopback_is_allowed_without_a_warning():
    for address in ("tcp://127.0.0.1:8786", "127.0.0.1:8786", "tcp://localhost", "tcp://[::1]"):
        plan = plan_connection(address, role="client")
        assert plan.certs is None and plan.warning is None
        assert plan.address.scheme == "tcp"


def test_insecure_allows_plaintext_and_says_what_it_means():
    plan = plan_connection("tcp://192.168.1.20:8786", role="client", insecure=True)
    assert plan.certs is None
    assert "unencrypted" in plan.warning and "192.168.1.20" in plan.warning


def test_tls_needs_the_certificates_and_names_the_missing_file(tmp_path):
    with pytest.raises(ClusterError, match="--cert-dir"):
        plan_connection("tls://gpu-box:8786", role="client")
    (tmp_path / "ca.pem").write_text("x")
    (tmp_path / "client.pem").write_text("x")
    with pytest.raises(ClusterError, match="client.key"):
        plan_connection("tls://gpu-box:8786", role="client", cert_dir=tmp_path)
    (tmp_path / "client.key").write_text("x")
    plan = plan_connection("gpu-box", role="client", cert_dir=tmp_path)  # tls by default
    assert plan.address.text == "tls://gpu-box:8786"
    assert plan.certs.key == tmp_path / "client.key" and plan.warning is None
    with pytest.raises(ClusterError, match="--cert-dir is for TLS"):
        plan_connection("tcp://127.0.0.1:8786", role="client", cert_dir=tmp_path)


# -- certificates ---------------------------------------------------------------------------

def test_cluster_certs_make_a_ca_and_mutually_trusted_certificates(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    from core.remote.certs import make_cluster_certs

    folder = tmp_path / "certs"
    make_cluster_certs(folder)
    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    for role in ("scheduler", "worker", "client"):
        files = cert_files(folder, role)
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               ec.ECDSA(cert.signature_hash_algorithm))
        assert cert.issuer == ca.subject
        assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
        # what Dask's TLS does with them: a context that requires the other side's certificate
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(files.ca))
        context.load_cert_chain(str(files.cert), str(files.key))
    assert stat.S_IMODE((folder / "ca.key").stat().st_mode) == 0o600
    with pytest.raises(FileExistsError, match="already holds certificates"):
        make_cluster_certs(folder)  # a new CA would lock out the machines that have these


# -- execution providers --------------------------------------------------------------------

def test_cuda_is_chosen_where_the_build_has_it_and_a_gpu_is_visible():
    chosen = choose_execution(["TensorrtExecutionProvider", CUDA, CPU], True, "openvino")
    assert chosen.providers == (CUDA, CPU) and chosen.backend == "onnxruntime"
    assert chosen.label == "CUDA"


@pytest.mark.parametrize("available, gpu", [([CUDA, CPU], False), ([CPU], True), ([CPU], False)])
def test_otherwise_the_local_cpu_choice_stays(available, gpu):
    assert choose_execution(available, gpu, "openvino").label == "OpenVINO bf16"
    cpu = choose_execution(available, gpu, "onnxruntime")
    assert (cpu.backend, cpu.providers, cpu.label) == ("onnxruntime", (CPU,), "CPU")


def test_a_gpu_is_visible_unless_hidden_or_absent():
    assert gpu_visible({}, ["nvidia0"]) is True
    assert gpu_visible({"CUDA_VISIBLE_DEVICES": "0"}, ["nvidia0"]) is True
    assert gpu_visible({"CUDA_VISIBLE_DEVICES": ""}, ["nvidia0"]) is False
    assert gpu_visible({"CUDA_VISIBLE_DEVICES": "-1"}, ["nvidia0"]) is False
    assert gpu_visible({}, []) is False


def test_this_machine_runs_its_local_choice():
    """No accelerator here (the README says the CUDA path is untested on our machines)."""
    from core.faces.openvino_backend import chosen_backend
    from core.remote.providers import worker_execution

    expected = "OpenVINO bf16" if chosen_backend() == "openvino" else "CPU"
    assert worker_execution().label in (expected, "CUDA")


# -- path maps ------------------------------------------------------------------------------

def test_path_map_rewrites_whole_folder_prefixes_longest_first():
    mapping = parse_path_maps(["/home/ann/Photos=/mnt/photos",
                               "/home/ann/Photos/2020=/mnt/archive/2020",
                               "/srv/pics=Z:\\pics"])
    assert mapping.remote("/home/ann/Photos/a/b.jpg") == "/mnt/photos/a/b.jpg"
    assert mapping.remote("/home/ann/Photos/2020/x.jpg") == "/mnt/archive/2020/x.jpg"
    assert mapping.remote("/home/ann/Photos2/x.jpg") is None   # not a folder of the prefix
    assert mapping.remote("/elsewhere/x.jpg") is None          # sent as bytes
    assert mapping.remote("/srv/pics/y.jpg") == "Z:\\pics\\y.jpg"
    for bad in ("/home/ann/Photos", "=/mnt", "/a="):
        with pytest.raises(ClusterError, match="LOCAL=REMOTE"):
            parse_path_maps([bad])


# -- refusing a worker that differs ---------------------------------------------------------

def test_a_worker_that_differs_is_refused_with_the_difference():
    spec = AnalysisSpec("0.1.0", "buffalo_s", "buffalo_s/w600k_mbf/abc", (("det_size", 640),))
    same = WorkerIdentity("tls://w:1", "w", "0.1.0", "CPU", "buffalo_s/w600k_mbf/abc")
    assert refusal(spec, same) is None
    older = WorkerIdentity("tls://w:1", "w", "0.0.9", "CPU", "buffalo_s/w600k_mbf/abc")
    assert "Faceshelf 0.0.9, this computer 0.1.0" in refusal(spec, older)
    other = WorkerIdentity("tls://w:1", "w", "0.1.0", "CPU", "buffalo_l/w600k_r50/def")
    assert "model pack differs: buffalo_l/w600k_r50/def" in refusal(spec, other)
    missing = WorkerIdentity("tls://w:1", "w", "0.1.0", "CPU", None, "model pack not found")
    assert "unusable: model pack not found" in refusal(spec, missing)


# -- a photo's bytes on a worker ------------------------------------------------------------

def test_photo_bytes_get_a_private_path_in_ram_with_their_mtime_then_vanish(tmp_path):
    import os

    from core.remote.task import RAM_FOLDER, PhotoJob, photo_in_memory

    job = PhotoJob(7, "../../escape/IMG_1.jpg", 1_600_000_000_123_456_789, data=b"\xff\xd8 photo",
                   sidecars=(("IMG_1.jpg.xmp", b"<x:xmpmeta/>"),))
    with photo_in_memory(job) as path:
        folder = path.parent
        assert path.name == "IMG_1.jpg" and path.read_bytes() == b"\xff\xd8 photo"
        assert (folder / "IMG_1.jpg.xmp").read_bytes() == b"<x:xmpmeta/>"
        assert os.stat(path).st_mtime_ns == 1_600_000_000_123_456_789
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        if RAM_FOLDER.is_dir():
            assert folder.parent == RAM_FOLDER   # memory, not the worker's disk
    assert not folder.exists()
