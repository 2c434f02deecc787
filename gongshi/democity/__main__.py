"""python -m gongshi.democity --out DIR: the demo city's files alone, without loading them."""
from __future__ import annotations

import argparse
from pathlib import Path

from gongshi.democity import generate_city, write_checklist


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate a synthetic Nantong-like city as published CSV files.")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20210423)
    parser.add_argument("--first-year", type=int, default=2021)
    parser.add_argument("--last-year", type=int, default=2025)
    parser.add_argument("--checklist", action="store_true", help="also write checklist.csv (抽查事项清单)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    paths = generate_city(args.out, args.entities, range(args.first_year, args.last_year + 1), args.seed,
                          progress=not args.quiet)
    if args.checklist:
        paths["checklist"] = write_checklist(args.out / "checklist.csv")
    for kind, p in paths.items():
        print(f"{kind}\t{p}")


if __name__ == "__main__":
    main()
