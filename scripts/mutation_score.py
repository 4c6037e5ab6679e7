"""Print the mutation score of each module mutmut mutated (`make mutation`, docs/testing.md).

Reads the modules from `[tool.mutmut] only_mutate` in pyproject.toml and mutmut's results
from mutants/<module>.meta. The score is mutmut's own (`mutmut badge`): killed and timed-out
mutants over all mutants that were not skipped; a mutant no test reaches, or one not
checked yet, counts against it. With --min N the exit code is 1 when a module scores below N.
With --survivors the surviving mutants are listed under the table (`mutmut show NAME`
prints one as a diff).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = ("killed", "timeout")


def modules(pyproject: Path) -> list[str]:
    config = tomllib.loads(pyproject.read_text("utf-8"))["tool"]["mutmut"]
    return list(config["only_mutate"])


def statuses(module: str) -> dict[str, str]:
    """Mutant name -> mutmut's status, or {} when mutmut has not mutated the module."""
    meta = Path("mutants") / f"{module}.meta"
    if not meta.exists():
        return {}
    exit_codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    return {name: status_by_exit_code[code] for name, code in exit_codes.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=None, help="lowest acceptable score, %%")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--markdown", action="store_true", help="the table for docs/testing.md")
    args = parser.parse_args()

    rows = []
    below = []
    survivors: list[str] = []
    for module in modules(Path("pyproject.toml")):
        by_name = statuses(module)
        counts = Counter(by_name.values())
        judged = len(by_name) - counts["skipped"]
        killed = sum(counts[s] for s in KILLED)
        score = 100 * killed / judged if judged else 0.0
        others = judged - killed - counts["survived"]
        rows.append((module, len(by_name), killed, counts["survived"], others, score, judged))
        survivors += sorted(name for name, status in by_name.items() if status != "killed"
                            and status != "timeout" and status != "skipped")
        if args.min is not None and score < args.min:
            below.append(module)

    if args.markdown:
        print("| module | mutants | killed | survived | other | score |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for module, total, killed, survived, others, score, _ in rows:
            print(f"| `{module.removeprefix('src/smarketing/')}` | {total} | {killed} | "
                  f"{survived} | {others} | {score:.1f} % |")
        return 0
    width = max(len(row[0]) for row in rows)
    print(f"{'module':<{width}}  mutants  killed  survived  other  score")
    for module, total, killed, survived, others, score, _ in rows:
        print(f"{module:<{width}}  {total:>7}  {killed:>6}  {survived:>8}  {others:>5}  "
              f"{score:5.1f}%")
    total, killed, survived, others, _, judged = (sum(row[i] for row in rows)  # type: ignore[misc]
                                                  for i in range(1, 7))
    print(f"{'all':<{width}}  {total:>7}  {killed:>6}  {survived:>8}  {others:>5}  "
          f"{100 * killed / judged if judged else 0:5.1f}%")
    print("(other: no test reaches the mutant, not checked yet, or suspicious)")
    if args.survivors and survivors:
        print()
        print("not killed:")
        for name in survivors:
            print(f"  {name}")
    if below:
        print(f"\nbelow {args.min:g}%: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
