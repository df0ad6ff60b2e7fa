"""Code systems and clinical age/sex rules (CMS Medicare Code Editor edits)."""

from lossbalance.clinical._edits import (
    AGE_MAX,
    AGE_MIN,
    SEX_ANY,
    CodeConflicts,
    CodeEdits,
    cohort_conflicts,
)
from lossbalance.clinical._rules import RuleSet, code_descriptions, default_rules, load_mce_rules
from lossbalance.clinical._user_rules import UserRule, load_rules, load_user_rules

__all__ = [
    "AGE_MAX",
    "AGE_MIN",
    "SEX_ANY",
    "CodeConflicts",
    "CodeEdits",
    "RuleSet",
    "UserRule",
    "code_descriptions",
    "cohort_conflicts",
    "default_rules",
    "load_mce_rules",
    "load_rules",
    "load_user_rules",
]
