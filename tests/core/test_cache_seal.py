"""Rebuildable caches check themselves (issue 11, item 5): noise written in place over the search
index or the people evidence is caught, logged, and answered from the catalog, never with a
wrong answer and exit status 0."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from core import cache_seal
from core.cache_seal import CacheDamaged, check_folder, seal, verify_folder
from core.cli import main
from core.people import name_person, run_update
from core.people.evidence import _cache_root, load_evidence
from core.search.search_index import SearchIndex, build_index, read_stamp

from .people.fake_faces import add_photo, faces_of, identities, populate
from .search.helpers import MODEL, Library, identity_vectors


@pytest.fixture(autouse=True)
def _fresh_indexes():
    yield
    SearchIndex.forget_all()


# -- the seal itself ------------------------------------------------------------------------

def _sealed(tmp_path, rows=3000):
    folder = tmp_path / "cache"
    folder.mkdir()
    np.save(folder / "a.npy", np.arange(rows * 512, dtype=np.float32).reshape(rows, 512))
    np.save(folder / "b.npy", np.arange(10, dtype=np.int64))
    seal(folder, {"model_id": "m", "count": rows})
    return folder


def test_a_sealed_folder_passes_and_every_change_is_named(tmp_path):
    folder = _sealed(tmp_path)
    check_folder(folder, {"model_id": "m"}, sampled=("a.npy",))
    verify_folder(folder)
    with pytest.raises(CacheDamaged, match="built from"):
        check_folder(folder, {"model_id": "other"})
    data = bytearray((folder / "a.npy").read_bytes())
    data[3 * cache_seal.BLOCK + 5] ^= 0x80  # one sign bit, in block 3 of 6
    (folder / "a.npy").write_bytes(bytes(data))
    with pytest.raises(CacheDamaged, match=r"a\.npy: block 3 "):
        verify_folder(folder)


def test_a_garbage_header_is_damage_not_numpys_message(tmp_path):
    folder = _sealed(tmp_path)
    with open(folder / "b.npy", "r+b") as stream:
        stream.write(b"\x93NUMPY\x01\x00garbage garbage")
    with pytest.raises(CacheDamaged, match=r"b\.npy: header unreadable"):
        check_folder(folder, None)


def test_the_sample_is_first_last_and_random_blocks():
    assert cache_seal.sample_of(5) == [0, 1, 2, 3, 4]
    picks = [cache_seal.sample_of(1000) for _ in range(20)]
    assert all(p[0] == 0 and p[-1] == 999 and len(p) == cache_seal.SAMPLED_BLOCKS + 2
               for p in picks)
    assert len({tuple(p) for p in picks}) > 1  # drawn afresh: later loads look elsewhere


# -- the search index -------------------------------------------------------------------------

@pytest.fixture
def indexed(catalog):
    """300 identities x 6 faces (3.7 MB of vectors: 4 blocks), a bits index built."""
    labels, vectors = identity_vectors(np.random.default_rng(1), 300, 6)
    lib = Library(catalog)
    ids = [lib.face(lib.photo(f"id{label}-{j % 6}.jpg"), v)
           for j, (label, v) in enumerate(zip(labels, vectors))]
    for _ in build_index(catalog, MODEL):
        pass
    return catalog, np.array(ids)


def _search(cat, face_id, capsys):
    code = main(["--catalog", str(cat.dir), "search", "--face", str(face_id), "--json"])
    out = capsys.readouterr()
    SearchIndex.forget_all()  # the next command is a new process
    return code, [h["face_id"] for h in json.loads(out.out)], out.err


def _generation(cat):
    return cat.index_dir / read_stamp(cat.index_dir, MODEL).generation


def _noise(path, start, length, seed=0):
    with open(path, "r+b") as stream:
        stream.seek(start)
        stream.write(np.random.default_rng(seed).bytes(length))


def _header_size(path):
    with open(path, "rb") as stream:
        np.lib.format.read_magic(stream)
        np.lib.format.read_array_header_1_0(stream)
        return stream.tell()


@pytest.mark.parametrize("where", ["vectors data", "vectors header", "codes", "ids"])
def test_noise_over_the_search_index_gives_the_same_answer_and_a_rebuild(indexed, capsys,
                                                                        caplog, where):
    cat, ids = indexed
    face = int(ids[17])
    code, before, _ = _search(cat, face, capsys)
    assert code == 0 and len(before) >= 4
    old = _generation(cat)
    if where == "vectors data":  # the case reported: noise over the vectors, header kept
        path = old / "vectors.npy"
        _noise(path, _header_size(path), path.stat().st_size - _header_size(path))
    elif where == "vectors header":
        _noise(old / "vectors.npy", 8, 100)
    else:
        path = old / f"{where}.npy"
        _noise(path, _header_size(path), 64)
    with caplog.at_level(logging.WARNING):
        code, after, err = _search(cat, face, capsys)
    assert code == 0 and after == before
    assert "search index damaged" in caplog.text and "rebuilding the search index" in caplog.text
    new = _generation(cat)
    assert new != old and not old.exists()
    verify_folder(new)  # and the rebuilt one is whole


def test_noise_in_a_block_the_load_did_not_sample_is_caught_when_a_query_reads_it(
        indexed, capsys, caplog, monkeypatch):
    cat, ids = indexed
    row = 600  # vectors row 600 lives in block 1 of the file (2 KB a row)
    code, before, _ = _search(cat, int(ids[row]), capsys)
    path = _generation(cat) / "vectors.npy"
    block = cache_seal.BLOCK
    _noise(path, block, block)
    monkeypatch.setattr(cache_seal, "sample_of", lambda count, *a, **k: [0, count - 1])
    with caplog.at_level(logging.WARNING):
        code, after, _ = _search(cat, int(ids[row]), capsys)
    assert code == 0 and after == before
    assert "is not a unit vector" in caplog.text
    with pytest.raises(CacheDamaged):  # what the load skipped, `faceshelf check` finds
        verify_folder(path.parent)


def test_a_generation_of_an_older_version_without_a_seal_is_rebuilt(indexed, capsys):
    cat, ids = indexed
    code, before, _ = _search(cat, int(ids[3]), capsys)
    (_generation(cat) / "seal.json").unlink()
    code, after, _ = _search(cat, int(ids[3]), capsys)
    assert code == 0 and after == before
    assert (_generation(cat) / "seal.json").exists()


# -- the people evidence ----------------------------------------------------------------------

@pytest.fixture
def named(catalog):
    truth = populate(catalog, [12, 10, 8], seed=3)
    run_update(catalog)
    groups = [catalog.execute("SELECT person_id FROM faces WHERE id = ?", (faces[0],)
                              ).fetchone()[0] for faces in truth.values()]
    name_person(catalog, groups[0], "Anna")
    name_person(catalog, groups[1], "Ben")
    run_update(catalog)
    return catalog, groups


def _new_faces(cat, count, seed=9):
    """More faces of Anna and Ben, as a new import brings them."""
    rng = np.random.default_rng(seed)
    centres = identities(3, 3)
    return [add_photo(cat, [v])[0] for who in (0, 1) for v in faces_of(centres[who], count, rng)]


def _people_of(cat, faces):
    marks = ",".join("?" * len(faces))
    return [r[0] for r in cat.execute(f"SELECT person_id FROM faces WHERE id IN ({marks}) "
                                      "ORDER BY id", faces)]


@pytest.mark.parametrize("array, sampled", [("vectors", False), ("vectors", True),
                                            ("centroids", False), ("projected", False)])
def test_a_sign_flipped_evidence_file_does_not_change_who_is_assigned(named, tmp_path, caplog,
                                                                      monkeypatch, array,
                                                                      sampled):
    import shutil

    from core.people import evidence

    if sampled:  # as for a big library: vectors.npy checked by sample at load
        monkeypatch.setattr(evidence, "FULL_CHECK_BYTES", 0)
    cat, groups = named
    twin_dir = tmp_path / "twin"
    shutil.copytree(cat.dir, twin_dir)  # the same catalog and cache, left whole
    (folder,) = _cache_root(cat, "fake").iterdir()
    path = folder / f"{array}.npy"
    flipped = -np.load(path)
    with open(path, "r+b") as stream:  # in place, header kept: only the contents change
        stream.seek(_header_size(path))
        stream.write(flipped.astype(np.float32).tobytes())
    faces = _new_faces(cat, 10)
    with caplog.at_level(logging.WARNING):
        summary = run_update(cat)
    assert "people evidence cache damaged" in caplog.text
    from core.catalog import Catalog

    with Catalog(twin_dir) as twin:
        _new_faces(twin, 10)
        expected = run_update(twin)
        assert _people_of(cat, faces) == _people_of(twin, faces)
    assert summary.auto_assigned == expected.auto_assigned > 0
    (folder,) = _cache_root(cat, "fake").iterdir()
    verify_folder(folder)


def test_the_evidence_cache_says_what_it_was_built_from(named):
    cat, _ = named
    (folder,) = _cache_root(cat, "fake").iterdir()
    built = json.loads((folder / "seal.json").read_text())["built_from"]
    assert built["model_id"] == "fake" and built["dtype"] == "<f4"
    assert built["shape"] == [built["count"], 512] and built["count"] > 0
    assert built["people_revision"] == int(cat.get_meta("people_revision", "0"))
    assert load_evidence(cat, "fake", built["people_revision"]).vectors.shape[0] == built["count"]


# -- faceshelf check's part -------------------------------------------------------------------

def test_verify_caches_reads_every_block_of_every_cache(indexed, named, monkeypatch):
    from core.caches import verify_caches

    cat, _ = indexed  # the same catalog fixture: search index and evidence side by side
    monkeypatch.setattr(cache_seal, "sample_of", lambda count, *a, **k: [0, count - 1])
    reports = verify_caches(cat)
    assert sorted(r.kind for r in reports) == ["people evidence", "search index"]
    assert all(r.ok for r in reports)
    vectors = _generation(cat) / "vectors.npy"
    _noise(vectors, 2 * cache_seal.BLOCK + 100, 50)  # a middle block: loads may not look
    check_folder(vectors.parent, None, sampled=("vectors.npy",))  # this load did not
    (bad,) = [r for r in verify_caches(cat) if not r.ok]
    assert bad.kind == "search index" and "vectors.npy: block 2 " in bad.problem
    assert vectors.exists()  # reported, not touched


@pytest.mark.parametrize("pointer", [b"\x00garbage{", b'{"model_id": "test/model/0"}',
                                     b"[1, 2]"])
def test_a_damaged_pointer_is_said_and_rebuilt(indexed, capsys, caplog, pointer):
    from core.search.stored_index import pointer_path

    cat, ids = indexed
    code, before, _ = _search(cat, int(ids[40]), capsys)
    pointer_path(cat.index_dir, MODEL).write_bytes(pointer)
    with caplog.at_level(logging.WARNING):
        code, after, _ = _search(cat, int(ids[40]), capsys)
    assert code == 0 and after == before
    assert "search index not used" in caplog.text and "rebuilding the search index" in caplog.text
    assert read_stamp(cat.index_dir, MODEL) is not None  # rebuilt


def test_faceshelf_check_reads_every_cache_block(indexed, named, capsys, monkeypatch):
    cat, _ = indexed
    code = main(["--catalog", str(cat.dir), "check"])
    out = capsys.readouterr().out
    assert code == 0
    assert "ok       caches     2 cache(s) (search index, people evidence): every block " \
           "matches its checksum" in out
    vectors = _generation(cat) / "vectors.npy"
    _noise(vectors, 2 * cache_seal.BLOCK + 100, 50)  # where a load's sample may not look
    before = vectors.read_bytes()
    code = main(["--catalog", str(cat.dir), "check"])
    out = capsys.readouterr().out
    assert code == 0  # a cache: nothing is lost, the catalog itself is intact
    assert f"warning  caches     search index damaged: {vectors}: block 2 " in out
    assert "it is rebuilt the next time it is used" in out
    assert vectors.read_bytes() == before  # check is read-only
