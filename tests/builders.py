"""Small builders for events in tests: valid by default, overridable field by field."""

from __future__ import annotations

from typing import Any

from events.envelope import EventDraft, parse_event

SLUG = "openai-microsoft"

DATA: dict[str, dict[str, Any]] = {
    "PartnershipFormed": {"name": "OpenAI–Microsoft", "parties": ["OpenAI", "Microsoft"]},
    "InvestmentMade": {
        "investor": "Microsoft",
        "amount": "1000000000",
        "currency": "USD",
        "instrument": "equity",
        "status": "committed",
    },
    "CommitmentMade": {
        "party": "OpenAI",
        "kind": "cloud compute",
        "amount": "250000000000",
        "currency": "USD",
        "term": "through 2032",
    },
    "CommercialRightsGranted": {"holder": "Microsoft", "scope": "models", "exclusive": True},
    "ExclusivityChanged": {"party": "Microsoft", "scope": "cloud", "exclusive": False},
    "ProductIntegrated": {"product": "GPT-4", "platform": "Bing Chat", "party": "Microsoft"},
    "ModelReleased": {"model": "GPT-4", "released_by": "OpenAI"},
    "LeadershipChanged": {
        "person": "Sam Altman",
        "role": "CEO",
        "organization": "OpenAI",
        "change": "removed",
    },
    "GovernanceChanged": {"organization": "OpenAI", "change": "new board"},
    "BoardSeatChanged": {
        "organization": "OpenAI",
        "holder": "Microsoft",
        "seat": "observer",
        "change": "added",
    },
    "TermsRenegotiated": {"area": "revenue sharing", "change": "share reduced"},
    "LiaisonEstablished": {"parties": ["OpenAI", "Microsoft"], "purpose": "repair"},
    "RegulatoryReviewOpened": {"regulator": "CMA", "review_id": "cma-1", "subject": "ties"},
    "RegulatoryReviewAdvanced": {"regulator": "CMA", "review_id": "cma-1", "stage": "phase_1"},
    "RegulatoryReviewClosed": {"regulator": "CMA", "review_id": "cma-1", "outcome": "cleared"},
    "AgreementSigned": {
        "agreement_id": "azure-2023",
        "kind": "definitive",
        "binding": True,
        "scope": "multiyear investment and Azure exclusivity",
    },
    "AgreementEnded": {"agreement_id": "azure-2023", "how": "superseded"},
    "DisputeOpened": {
        "dispute_id": "gov",
        "topic": "governance",
        "raised_by": "Microsoft",
        "severity": 3,
    },
    "DisputeEscalated": {"dispute_id": "gov", "reason": "no answer", "severity": 4},
    "DisputeResolved": {"dispute_id": "gov", "resolution": "settled"},
    "RiskFlagged": {
        "risk_id": "azure",
        "category": "infrastructure_dependency",
        "description": "single cloud",
        "severity": 3,
    },
    "RiskMitigated": {"risk_id": "azure", "mitigation": "second cloud"},
    "TrustSignal": {"delta": -5, "reason": "tension", "analyst": "desk"},
    "OrganizationAliased": {"alias": "Microsoft Corp.", "name": "Microsoft"},
    "StatementMade": {"speaker": "Satya Nadella", "organization": "Microsoft", "statement": "ok"},
}


def payload(event_type: str, occurred_on: str = "2023-01-15", **data: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": event_type,
        "occurred_on": occurred_on,
        "summary": f"{event_type} on {occurred_on}",
        "confidence": "confirmed",
        "data": {**DATA.get(event_type, {}), **data},
    }
    return body


def draft(event_type: str, occurred_on: str = "2023-01-15", **data: Any) -> EventDraft:
    return parse_event(payload(event_type, occurred_on, **data))


def formed(occurred_on: str = "2019-07-22") -> EventDraft:
    return draft("PartnershipFormed", occurred_on)


def firm_totals(amount: str) -> dict[str, Any]:
    """Investment totals of one currency with only firm money, every figure exact."""
    return {
        "firm": amount,
        "contingent": "0",
        "paid": "0",
        "total": amount,
        "low": amount,
        "high": amount,
        "undisclosed": 0,
    }
