"""How much one published source may hold. A file beyond any limit is refused with the limit it
exceeded, before it can take more memory or time than the limit allows. The command line sets
them from GONGSHI_MAX_* and GONGSHI_FETCH_* (gongshi.config); lower layers take them as given."""
from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # Uncompressed bytes of a table: the file for CSV and XLS, the sum of its zip members for XLSX.
    max_table_bytes: int = 512 * MIB
    max_json_bytes: int = 64 * MIB  # JSON is parsed whole, so it gets less
    max_rows: int = 2_000_000
    max_columns: int = 200
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_merged_cells: int = 100_000  # cells covered by merged ranges, all sheets together
    fetch_max_bytes: int = 512 * MIB
    fetch_timeout: float = 300.0  # seconds for a whole download, redirects included
    # Private, loopback and link-local addresses are refused unless allowed (tests, intranets).
    fetch_allow_private: bool = False

    @property
    def max_line_chars(self) -> int:
        """The longest CSV line a table within the column and cell limits can have."""
        return self.max_columns * (self.max_cell_chars + 3)
