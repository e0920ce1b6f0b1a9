"""What the campaign and the quarterly selection plug into the workflow (installed by ``server.bootstrap``)."""

from __future__ import annotations

from server.campaign import absences, ledgers, reviews, rollup, selection, selection_ledgers, starts
from server.campaign.plan import BRANCH, CAMPAIGN
from server.campaign.selection import SELECTION
from server.workflow.hooks import ProcessFamily

CAMPAIGN_FAMILY = ProcessFamily(
    name="vanguard campaign",
    starts={CAMPAIGN: starts.start_campaign, BRANCH: starts.start_branch},
    batch_starts={BRANCH: starts.start_branches},
    saves={CAMPAIGN: starts.on_saved, BRANCH: starts.on_saved},
    completions=ledgers.COMPLETIONS,
    withdrawals={BRANCH: absences.record_withdrawal},
)

SELECTION_FAMILY = ProcessFamily(
    name="excellent-member selection",
    starts={SELECTION: selection.start_hook},
    saves={SELECTION: selection.on_saved},
    completions=selection_ledgers.COMPLETIONS,
    withdrawals={SELECTION: absences.record_withdrawal},
)

REVIEW_FAMILY = ProcessFamily(
    name="leader reviews",
    starts={reviews.REVIEW: reviews.start_hook},
    saves={reviews.REVIEW: reviews.on_saved},
    completions=reviews.COMPLETIONS,
)

ROLLUP_FAMILY = ProcessFamily(
    name="campaign roll-up counters",
    saves={BRANCH: rollup.on_branch_saved},
    cancels={BRANCH: rollup.on_branch_cancelled},
)
"""Installed last: a branch's counters are recounted after every other hook of its save has written."""
