"""Indexing on other machines: the heavy step of indexing (decode, detect, align, embed,
thumbnails) runs on a Dask distributed cluster the user names; the scan, the catalog and its
single writer stay on this machine.

Named `remote`, not `cluster`: `core/cluster/` groups faces into people ("cluster" there is
the clustering of embeddings). Here a cluster is a set of machines.

Nothing here imports Dask at module level except the modules that run on a worker or talk to
one (`plugin`, `task`'s callers, `executor`, `service`): `import core` and every command that
is not given `--cluster` never load `distributed` (tests/core/remote/test_lazy.py).

- `address`: the address rule (TLS with mutual certificates for any address that is not
  loopback) and the dask settings every Faceshelf process on a cluster uses.
- `certs`: `faceshelf cluster-certs DIR` (a CA and the scheduler's, workers' and client's).
- `providers`: the execution provider a worker runs the models on (CUDA where it can).
- `pathmap`: `--path-map LOCAL=REMOTE` for workers that mount the library themselves.
- `task`: what runs on a worker for one photo; `plugin`: the analyzer loaded once per worker.
- `executor`: the client side: bounded in-flight work, results streamed to the writer.
- `service`: `faceshelf worker` and `faceshelf scheduler`.
The command line's part is core/cli/remote.py; the app's, Settings → "Index on a cluster".
"""
