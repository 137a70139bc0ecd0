"""Big lists are built with the cyclic GC paused, then frozen; collection comes back on."""

import gc

from gui.gc_pauses import bulk_allocation


def test_bulk_allocation_pauses_then_freezes_and_reenables():
    assert gc.isenabled()
    with bulk_allocation():
        assert not gc.isenabled()
        with bulk_allocation():  # nested (or a second worker): still paused
            rows = [(i, f"/p/{i}.jpg", [i]) for i in range(1000)]
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(rows)  # frozen, not walked by later collections
    assert gc.is_tracked(rows[0][2])
