"""Online-survey exports: one row per respondent, one column per question.

Columns are mapped once for the whole file: metadata columns (reference, date, respondent
type, organisation, publication privacy, ...) are recognised by their header, the other
columns are matched to the consultation's questions by their text (or created from the
headers). The mapping can be saved to a YAML/JSON file, edited, and given back.

Each row becomes one response (channel "online survey") whose text holds every answer
under its question, with one ``ResponseSection`` per answer pointing at its characters and
its question. Recommendations are extracted from free-text answers and linked to the
question. Answers such as "See written response" are placeholders: they point at the
respondent's written response in the consultation when there is one.

Publication consent is conservative: only an organisation that chose to be published with
its details is named; individuals (citizens) never are, whatever they chose.

One module per job: ``mapping`` (columns to fields and questions), ``consent`` (privacy answers,
placeholder answers), ``importer`` (rows to responses) and ``placeholders`` (linking answers that point
at a written response). Everything public is importable from ``consultations.survey_import``.
"""
from ..bulk import TableError  # re-exported, as before
from .mapping import (
    CHANNEL, CHOICE_MAX_DISTINCT, CHOICE_MAX_LENGTH, CHOICE_WORDS, ColumnMap, FIELDS, KINDS,
    MAX_METADATA_WORDS, Mapping, QUESTION_MATCH, QUESTION_NUMBER_MAX, RATING, SAMPLE_ROWS,
    SurveyError, WRITTEN_CHANNELS_EXCLUDED, create_missing_questions, guess_kind, load_mapping,
    metadata_field, propose_mapping, save_mapping,
)
from .consent import INDIVIDUAL, PLACEHOLDER_MAX, consent_for, is_placeholder
from .importer import SurveyImporter, SurveyRow
from .placeholders import link_placeholders, written_response_of

__all__ = [
    "ColumnMap",
    "FIELDS",
    "Mapping",
    "SurveyError",
    "SurveyImporter",
    "TableError",
    "consent_for",
    "create_missing_questions",
    "is_placeholder",
    "link_placeholders",
    "load_mapping",
    "propose_mapping",
    "save_mapping",
]
