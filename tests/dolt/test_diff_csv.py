"""The whole diff of a table as CSV: a change column first, formula-like cells made text."""

from dolt.diff_csv import diff_csv
from dolt.models import RowChange, RowChangeType


def test_each_change_is_a_line_and_a_modified_row_two_before_then_after():
    changes = [
        RowChange(
            RowChangeType.MODIFIED, {"id": 1, "v": "=1+1"}, {"id": 1, "v": "+cmd|' /C calc'!A0"}
        ),
        RowChange(RowChangeType.REMOVED, {"id": 2, "v": None}, None),
        RowChange(RowChangeType.ADDED, None, {"id": 3, "v": b"\x00\xff"}),
        RowChange(RowChangeType.ADDED, None, {"id": 4, "v": "@SUM(A1)\t-2"}),
    ]
    assert diff_csv(changes).splitlines() == [
        "change,id,v",
        "modified-before,1,'=1+1",
        "modified-after,1,'+cmd|' /C calc'!A0",
        "deleted,2,",  # NULL is an empty cell
        "added,3,00ff",  # bytes as hex
        "added,4,'@SUM(A1)\t-2",
    ]
