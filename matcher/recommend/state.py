"""A solved round loaded once for recommend calls: its problem, stored optimum and residual network."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConflictError, FieldIssue, RoundValidationError
from ..problem import Problem, Status
from .item import ItemContext
from .neighbourhood import part_labels
from .residual import Network, build_network


@dataclass
class RecommendState:
    """Load once per stored round (``from_result`` / ``from_documents``); answers many calls.

    ``side`` marks the pairs of parts with side rules (a binding provider
    limit, a minimum lot, an all-or-nothing need): those are re-solved by
    CP-SAT; every other pair is in the residual network ``net``.
    """

    prepared: Any  # matcher.service.Prepared
    x: np.ndarray  # stored optimal quantity per pair
    side: np.ndarray  # bool per pair
    side_res: np.ndarray  # bool per resource: in a side-rule part
    side_need: np.ndarray  # bool per need
    net: Network
    res_used: np.ndarray  # units per resource in the stored optimum (locks included)
    group_pairs: np.ndarray  # usable pairs per provider group (can its limit bind?)
    items: ItemContext  # ids and one-sided tables new items are checked and paired against

    @property
    def problem(self) -> Problem:
        return self.prepared.problem

    @classmethod
    def from_result(cls, prepared, result) -> RecommendState:
        """From :class:`matcher.service.Prepared` and its ``RoundResult`` (or ``Solution``)."""
        sol = getattr(result, "solution", result)
        if sol.status is not Status.OPTIMAL:
            raise ConflictError([FieldIssue("result.status", f"the round is {sol.status}, not optimal: "
                                                               "recommend needs a proven optimum")])
        return cls.build(prepared, np.asarray(sol.x, dtype=np.int64))

    @classmethod
    def from_documents(cls, round_doc: Any, result_doc: dict) -> RecommendState:
        """From a round document and its output document (as stored or written by ``matcher solve``)."""
        from ..service import prepare

        if not isinstance(result_doc, dict):
            raise RoundValidationError([FieldIssue("result", "must be an output document (a JSON object)")])
        status = result_doc.get("status")
        if status != "optimal":
            raise ConflictError([FieldIssue("result.status", f"the round is {status}, not optimal: "
                                                               "recommend needs a proven optimum")])
        prep = prepare(round_doc)
        return cls.build(prep, quantities_of(prep, result_doc.get("projects") or []))

    @classmethod
    def build(cls, prep, x: np.ndarray) -> RecommendState:
        p = prep.problem
        side = side_parts(p)
        net = build_network(p, x, ~side, prep.round.params.max_distance_m)
        side_res = np.zeros(p.cap.size, dtype=bool)
        side_need = np.zeros(p.qty.size, dtype=bool)
        side_res[p.pair_res[side]] = True
        side_need[p.pair_need[side]] = True
        binding = p.binding_groups()
        side_res |= binding[p.group]
        return cls(prep, x, side, side_res, side_need, net, p.res_load(x), p.group_count(p.usable()),
                   ItemContext(prep.round))


def side_parts(p: Problem) -> np.ndarray:
    """Pairs of the parts (linked by pairs and binding provider limits) that hold a side rule."""
    if p.n_pairs == 0:
        return np.zeros(0, dtype=bool)
    label = part_labels(p)
    bad = np.unique(label[p.side_constrained_pairs()])
    return np.isin(label, bad)


def quantities_of(prep, projects: list) -> np.ndarray:
    """Quantity per pair of the prepared round from an output document's projects."""
    t, pairs = prep.tables, prep.pairs
    res_index = {r: i for i, r in enumerate(t.res_ids)}
    need_index = {n: j for j, n in enumerate(t.need_ids)}
    key = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(pairs.res.tolist(), pairs.need.tolist()))}
    x = np.zeros(len(pairs), dtype=np.int64)
    for n, row in enumerate(projects):
        k = key.get((res_index.get(row.get("resource_id"), -1), need_index.get(row.get("need_id"), -1)))
        if k is None:
            raise RoundValidationError([FieldIssue(f"result.projects[{n}]", "is not a candidate pair of the round")])
        x[k] = int(row.get("quantity", 0))
    return x
