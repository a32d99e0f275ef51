"""A consumed batch is split by partition into transactions that run side by side; one partition's records
stay together and in order."""

from types import SimpleNamespace

from services.matching.app import by_partition


def delivery(partition: int, offset: int) -> SimpleNamespace:
    return SimpleNamespace(record=SimpleNamespace(partition=partition, offset=offset))


def test_a_batch_splits_by_whole_partitions_in_order() -> None:
    batch = [delivery(p, o) for o in range(3) for p in (0, 1, 2, 3, 5)]
    parts = by_partition(batch, 2)  # type: ignore[arg-type]
    assert len(parts) == 2 and sum(len(p) for p in parts) == len(batch)
    for part in parts:
        partitions = {d.record.partition for d in part}
        assert all(sum(d.record.partition == p for d in other) == 0 for other in parts if other is not part
                   for p in partitions)
        for p in partitions:
            offsets = [d.record.offset for d in part if d.record.partition == p]
            assert offsets == sorted(offsets)


def test_one_partition_or_one_group_gives_one_part() -> None:
    batch = [delivery(4, o) for o in range(5)]
    assert by_partition(batch, 2) == [batch]  # type: ignore[arg-type]
    assert by_partition([delivery(0, 0), delivery(1, 0)], 1) == [[delivery(0, 0), delivery(1, 0)]]  # type: ignore[arg-type]
    assert by_partition([], 2) == []
