"""The personal-data detector and how confirmed redactions change public text (consultations.redaction)."""
from __future__ import annotations

import pytest

from consultations.redaction import contact_names, detect, marker, nhs_number_valid, public_text

TEXT = ("Write to Jo Bloggs at jo.bloggs@clinks.example or Tavis House, London WC1H 9NA, "
        "phone 020 7383 0966 or +44 (0)161 496 0999 or 07700 900123. Her NHS number is 943 476 5919 "
        "and her National Insurance number AB 12 34 56 C. Charity no. 1074546, company 3562176, 2019-2022.")


def found(text, contacts=None):
    return [(f.kind, text[f.start:f.end]) for f in detect(text, contacts)]


def test_the_detector_finds_each_kind_of_personal_data_and_nothing_else():
    assert found(TEXT, "Jo Bloggs, jo@x.example, 020 7946 0123") == [
        ("contact-name", "Jo Bloggs"), ("email", "jo.bloggs@clinks.example"), ("postcode", "WC1H 9NA"),
        ("phone", "020 7383 0966"), ("phone", "+44 (0)161 496 0999"), ("phone", "07700 900123"),
        ("nhs-number", "943 476 5919"), ("ni-number", "AB 12 34 56 C"),
    ]


@pytest.mark.parametrize("number, valid", [("9434765919", True), ("9434765918", False), ("4010232137", True),
                                           ("1234567890", False), ("943476591", False)])
def test_nhs_numbers_pass_the_modulus_11_check(number, valid):
    assert nhs_number_valid(number) is valid


def test_ten_digits_failing_the_check_are_not_an_nhs_number():
    assert found("Reference 943 476 5918 here.") == []


def test_names_are_read_from_the_contact_details_and_found_whatever_the_case():
    assert contact_names("Contact: Dr Amira Khan\nsam@x.example; 0161 496 0999, policy team") == ["Dr Amira Khan"]
    assert found("as AMIRA KHAN told us", "Amira Khan, a@x.example") == [("contact-name", "AMIRA KHAN")]
    assert found("Jo Bloggsworth agrees", "Jo Bloggs") == []  # whole words only


def test_public_text_replaces_every_occurrence_with_the_reason():
    text = "Ask Jo Bloggs (jo@x.example).\nJo   Bloggs agreed."
    shown = public_text(text, [("Jo Bloggs", "person"), ("jo@x.example", "contact")])
    assert shown == "Ask [redacted: names a person] ([redacted: contact details]).\n[redacted: names a person] agreed."
    assert marker("sensitive") == "[redacted: health or criminal information]"
    assert public_text(text, []) == text
