"""The PromptEHR-style generator: vocabulary, encoding, model and sampling."""

from lossbalance.model._config import PRESETS, GeneratorConfig
from lossbalance.model._encode import (
    IGNORE_INDEX,
    Batch,
    BatchMaker,
    EncodedCohort,
    encode_cohort,
    forbidden_groups,
    forbidden_mask,
    padding_share,
    token_edits,
)
from lossbalance.model._generation import (
    SamplingConfig,
    VisitRules,
    generate,
    generate_sequences,
    sample_demographics,
    sequences_to_cohort,
)
from lossbalance.model._generator import CodeClassifier, Generator, bart_config
from lossbalance.model._vocab import (
    BOS,
    DEFAULT_AGE_BOUNDS,
    EOS,
    PAD,
    SEP,
    SPECIAL_TOKENS,
    UNK,
    Vocabulary,
    age_group_labels,
    age_groups,
)

__all__ = [
    "BOS",
    "DEFAULT_AGE_BOUNDS",
    "EOS",
    "IGNORE_INDEX",
    "PAD",
    "PRESETS",
    "SEP",
    "SPECIAL_TOKENS",
    "UNK",
    "Batch",
    "BatchMaker",
    "CodeClassifier",
    "EncodedCohort",
    "Generator",
    "GeneratorConfig",
    "SamplingConfig",
    "VisitRules",
    "Vocabulary",
    "age_group_labels",
    "age_groups",
    "bart_config",
    "encode_cohort",
    "forbidden_groups",
    "forbidden_mask",
    "generate",
    "generate_sequences",
    "padding_share",
    "sample_demographics",
    "sequences_to_cohort",
    "token_edits",
]
