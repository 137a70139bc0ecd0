"""The clustering and matching algorithms on synthetic embeddings (pure numpy, no catalog)."""

import numpy as np

from core.cluster.assign import AUTO, NONE, SUGGEST, AssignParams, Evidence, score_faces
from core.cluster.graph import cluster
from core.cluster.knn import knn_graph

from .fake_faces import faces_of, identities


def _library(sizes, seed=0, noise=0.75):
    rng = np.random.default_rng(seed + 1)
    centres = identities(len(sizes), seed)
    vectors = np.concatenate([faces_of(centres[i], s, rng, noise) for i, s in enumerate(sizes)])
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return vectors, truth


def _pure(labels, truth):
    """Every group holds one identity."""
    return all(len(set(truth[labels == g])) == 1 for g in range(labels.max() + 1))


def test_knn_graph_finds_the_same_identity_and_exact_similarities():
    vectors, truth = _library([30] * 40)
    graph = knn_graph(vectors, k=10)
    same = truth[graph.neighbors] == truth[:, None]
    assert same.mean() > 0.99
    i, j = 7, graph.neighbors[7, 0]
    assert abs(graph.similarities[7, 0] - float(vectors[i] @ vectors[j])) < 1e-5
    assert (np.diff(graph.similarities, axis=1) <= 1e-6).all()


def test_identities_are_recovered_and_singletons_stay_unknown():
    vectors, truth = _library([20, 12, 7, 3, 2, 1, 1, 1])
    labels = cluster(vectors, np.arange(len(vectors)))
    assert _pure(labels, truth)
    for who in range(5):
        assert len(set(labels[truth == who])) == 1 and labels[truth == who][0] >= 0
    assert (labels[truth >= 5] == -1).all()
    assert list(np.bincount(labels[labels >= 0])) == [20, 12, 7, 3, 2]  # biggest first


def test_two_faces_of_one_photo_are_never_one_person():
    vectors, truth = _library([10])
    photos = np.arange(len(vectors))
    photos[1] = photos[0]  # a mirror selfie: same person twice in one photo
    labels = cluster(vectors, photos)
    assert labels[0] != labels[1] or labels[0] == -1
    assert np.bincount(labels[labels >= 0]).max() >= 7  # the rest still forms the person


def test_a_bridge_face_does_not_chain_two_people_together():
    # Two people, and faces halfway between them (a look-alike, a blurred face): each bridge face
    # has strong edges to both sides, but the average-link test keeps the people apart.
    vectors, truth = _library([15, 15], seed=3)
    a, b = vectors[truth == 0].mean(0), vectors[truth == 1].mean(0)
    bridges = np.stack([a + b + np.random.default_rng(i).standard_normal(512) * 0.02
                        for i in range(3)]).astype(np.float32)
    bridges /= np.linalg.norm(bridges, axis=1, keepdims=True)
    assert float((bridges @ vectors.T).max()) > 0.4  # strong enough to be an edge
    all_vectors = np.concatenate([vectors, bridges])
    labels = cluster(all_vectors, np.arange(len(all_vectors)))
    assert labels[0] != labels[15]
    assert len(set(labels[:15])) == 1 and len(set(labels[15:30])) == 1


def test_precision_first_on_a_hard_mix():
    # Noisy identities (cos ~0.4 within) among many others: groups may split, never mix.
    vectors, truth = _library([8] * 60 + [1] * 200, seed=5, noise=1.1)
    labels = cluster(vectors, np.arange(len(vectors)))
    assert _pure(labels, truth)
    assert (labels >= 0).sum() > 300


def test_clustering_is_deterministic():
    vectors, _ = _library([6] * 30, seed=9)
    first = cluster(vectors, np.arange(len(vectors)))
    assert (cluster(vectors, np.arange(len(vectors))) == first).all()


def test_assignment_needs_a_clear_winner_and_respects_forbidden_pairs():
    rng = np.random.default_rng(4)
    centres = identities(3, seed=4)
    exemplars = np.concatenate([faces_of(c, 5, rng) for c in centres])
    owner = np.repeat([10, 20, 30], 5)
    new = np.concatenate([faces_of(centres[0], 2, rng), faces_of(centres[1], 1, rng)])
    twin = (centres[1] + centres[2]) / np.linalg.norm(centres[1] + centres[2])
    stranger = identities(1, seed=99)
    vectors = np.concatenate([new, twin[None], stranger]).astype(np.float32)
    d = score_faces(vectors, Evidence.build(exemplars, owner), forbidden={(1, 10)})
    assert d.kind[0] == AUTO and d.person[0] == 10
    assert d.person[1] != 10 and d.kind[1] != AUTO          # rejected pair never proposed
    assert d.kind[2] == AUTO and d.person[2] == 20
    assert d.kind[3] in (SUGGEST, NONE) and d.kind[3] != AUTO  # two people equally close
    assert d.kind[4] == NONE
    # Counter-evidence: a face closer to one the user rejected for person 10 is not auto.
    negatives = {10: vectors[:1] * 1.0}
    d = score_faces(vectors[:1], Evidence.build(exemplars, owner), AssignParams(),
                    negatives=negatives)
    assert d.kind[0] != AUTO


def test_shortlisted_scoring_agrees_with_exact_scoring(monkeypatch):
    """Many people: faces are scored only against a shortlist of people by their mean face.
    The decisions must be those of scoring everyone."""
    from core.cluster import assign

    rng = np.random.default_rng(7)
    people, per = 1500, 4
    centres = rng.standard_normal((people, 512)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    owner = np.repeat(np.arange(people), per)

    def around(c):
        x = 0.75 * c + 0.66 * rng.standard_normal(c.shape).astype(np.float32) / np.sqrt(512)
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    exemplars = around(centres[owner])
    truth = rng.integers(0, people, 300)
    faces = np.concatenate([around(centres[truth]),
                            rng.standard_normal((50, 512)).astype(np.float32) / np.sqrt(512)])
    shortlisted = score_faces(faces, Evidence.build(exemplars, owner))
    monkeypatch.setattr(assign, "SHORTLIST_FROM", 10**9)
    exact = score_faces(faces, Evidence.build(exemplars, owner))
    assert (shortlisted.kind == AUTO).sum() >= 290
    assert np.array_equal(shortlisted.kind, exact.kind)
    auto = shortlisted.kind == AUTO
    assert np.array_equal(shortlisted.person[auto], exact.person[auto])
    assert np.array_equal(shortlisted.person[:300][auto[:300]], truth[auto[:300]])


def test_a_broken_embedding_matches_nobody_and_breaks_nothing():
    rng = np.random.default_rng(11)
    for people in (20, 1200):  # exact scoring, and shortlists
        centres = identities(people, seed=11)
        owner = np.repeat(np.arange(people), 2)
        exemplars = np.concatenate([faces_of(c, 2, rng) for c in centres])
        faces = np.concatenate([faces_of(centres[0], 1, rng), faces_of(centres[1], 1, rng)])
        faces[1] = np.nan
        d = score_faces(faces.astype(np.float32), Evidence.build(exemplars, owner))
        assert d.kind[0] == AUTO and d.person[0] == 0
        assert d.kind[1] == NONE
