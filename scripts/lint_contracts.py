"""A custom import-linter contract (see [tool.importlinter] in pyproject.toml).

`own_repository`: an edge module (a page, an API router or a command: `pages`, `api`,
`cli`, or a name ending in `_pages`, `_api`, `_cli`) may import its own domain's
repositories, never another domain's (a name `repository` or ending in `_repository`):
another domain is read through its service, which keeps its queries and its rules. The
foundations below the domains (settings, models, the kit) are open to everyone.
"""

from __future__ import annotations

from typing import Any

from importlinter import Contract, ContractCheck, output

EDGE_NAMES = ("pages", "api", "cli")
#: Packages below the domains (docs/architecture.md): anyone may read through them.
FOUNDATIONS = ("core", "models", "i18n", "auth", "workspace", "kit")


def _is_edge(module: str) -> bool:
    name = module.rsplit(".", 1)[-1]
    return name in EDGE_NAMES or name.endswith(tuple(f"_{n}" for n in EDGE_NAMES))


def _is_repository(module: str) -> bool:
    name = module.rsplit(".", 1)[-1]
    return name == "repository" or name.endswith("_repository")


def _domain(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


class OwnRepositoryContract(Contract):
    type_name = "own_repository"

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        violations = []
        for module in sorted(graph.modules):
            if not module.startswith("smarketing.") or not _is_edge(module):
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if (imported.startswith("smarketing.") and _is_repository(imported)
                        and _domain(imported) not in (_domain(module), *FOUNDATIONS)):
                    violations.append((module, imported))
        return ContractCheck(kept=not violations, warnings=[],
                             metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for module, imported in check.metadata["violations"]:
            output.print_error(f"{module} imports {imported}: read it through "
                               f"smarketing.{_domain(imported)}'s service instead")
            output.new_line()
