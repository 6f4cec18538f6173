"""The catalog against the RFCs: completeness, digits, prose, lookups and errors.

The expected numbers below are an independent transcription of the RFC lists (not read from
our data files), so a code dropped from or added to the data fails here.
"""

import json
import re
import subprocess
import sys

import pytest

import smtplearn
from smtplearn import Action, EnhancedCode, InvalidCodeError, ReplyClass, ReplyCode, Subject, UnknownCodeError
from smtplearn import data as data_files
from smtplearn.codes import basic_codes, enhanced_codes

RFC5321_CODES = {211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455,
                 500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555}
RFC7504_CODES = {521, 556}
BY_DOCUMENT = {
    "RFC 4954": {235, 334, 432, 454, 500, 530, 534, 535, 538},  # AUTH
    "RFC 3207": {220, 454, 501, 530},  # STARTTLS
    "RFC 1870": {452, 552},  # SIZE
    "RFC 1985": {250, 251, 252, 253, 458, 459},  # ETRN
    "RFC 2645": {250, 450, 451, 453, 502, 530},  # ATRN
    "RFC 3030": {250, 503},  # CHUNKING / BDAT
    "RFC 6531": {550, 553, 554},  # SMTPUTF8
    "RFC 3461": {501},  # DSN
    "RFC 1845": {355},
}
REGISTRY_ONLY = {422, 430, 453, 523, 524, 525, 533}
DETAILS_PER_SUBJECT = {0: 1, 1: 11, 2: 5, 3: 7, 4: 8, 5: 7, 6: 11, 7: 31}  # X.0.0 ... X.7.30
PROSE_FIELDS = ("description", "when", "fix_client", "fix_admin", "next_step")


def all_codes():
    return {code.code: code for code in basic_codes()}


# --- completeness --------------------------------------------------------------------------

def test_every_rfc5321_code_is_in_the_catalog_with_its_section():
    codes = all_codes()
    assert len(RFC5321_CODES) == 24
    for number in RFC5321_CODES:
        sources = {(m.source, m.section) for m in codes[number].meanings}
        assert ("RFC 5321", "4.2.3") in sources, number


def test_rfc7504_adds_521_and_556():
    codes = all_codes()
    for number in RFC7504_CODES:
        assert "RFC 7504" in codes[number].sources


@pytest.mark.parametrize("document", sorted(BY_DOCUMENT))
def test_extension_codes_carry_their_document(document):
    codes = all_codes()
    for number in BY_DOCUMENT[document]:
        assert document in codes[number].sources, (number, document)


def test_registry_only_codes_are_flagged_and_nothing_else():
    flagged = {code.code for code in basic_codes() if code.registry_only}
    assert flagged == REGISTRY_ONLY
    for number in REGISTRY_ONLY:
        assert "RFC 5248" in all_codes()[number].sources


def test_no_code_outside_the_known_documents():
    known = RFC5321_CODES | RFC7504_CODES | REGISTRY_ONLY | set().union(*BY_DOCUMENT.values())
    assert set(all_codes()) == known


@pytest.mark.parametrize("number, contexts", [
    (454, {"STARTTLS", "AUTH"}), (530, {"STARTTLS", "AUTH"}),
    (251, {"SMTP", "ETRN"}), (252, {"SMTP", "ETRN"}), (552, {"SMTP", "SIZE"}), (452, {"SMTP", "SIZE"}),
])
def test_numbers_with_several_meanings_keep_each_with_its_source(number, contexts):
    code = smtplearn.lookup(number)
    assert contexts <= {m.context for m in code.meanings}
    texts = [m.rfc_text for m in code.meanings]
    assert len(set(texts)) == len(texts), "each meaning keeps its own document's words"


def test_first_meaning_is_rfc5321_where_it_has_one():
    for code in basic_codes():
        if "RFC 5321" in code.sources:
            assert code.primary.source == "RFC 5321", code.code


def test_enhanced_registry_is_complete():
    assert [e.code for e in enhanced_codes("class")] == ["2.X.X", "4.X.X", "5.X.X"]
    assert [e.code for e in enhanced_codes("subject")] == [f"X.{n}.X" for n in range(8)]
    details = [e.code for e in enhanced_codes("detail")]
    expected = [f"X.{s}.{d}" for s, count in DETAILS_PER_SUBJECT.items() for d in range(count)]
    assert details == expected
    assert len(details) == 81


@pytest.mark.parametrize("code, name, associated", [
    ("X.1.1", "Bad destination mailbox address", (451, 550)),
    ("X.2.2", "Mailbox full", (552,)),
    ("X.5.3", "Too many recipients", (451,)),
    ("X.7.1", "Delivery not authorized, message refused", (451, 454, 502, 503, 533, 550, 551)),
    ("X.7.8", "Authentication credentials invalid", (535, 554)),
    ("X.1.10", "Recipient address has null MX", (556,)),
    ("X.3.2", "System not accepting network messages", (453, 521)),
    ("X.7.30", "REQUIRETLS support required", (550,)),
    ("X.7.28", "Mail flood detected", ()),
])
def test_enhanced_entries_match_the_registry(code, name, associated):
    entry = smtplearn.lookup(code)
    assert entry.name == name
    assert entry.associated_codes == associated


def test_registry_only_codes_are_named_by_their_registry_entries():
    assert "X.7.12" in smtplearn.lookup(422).enhanced
    assert "X.7.1" in smtplearn.lookup(533).enhanced
    assert set(smtplearn.lookup(521).enhanced) >= {"X.3.2"}


# --- digits ----------------------------------------------------------------------------------

def test_class_and_subject_follow_the_digits():
    for code in basic_codes():
        assert code.reply_class == ReplyClass(code.code // 100)
        assert code.subject == Subject(code.code // 10 % 10)
        assert re.fullmatch(r"[2-5][0-5][0-9]", str(code.code))


@pytest.mark.parametrize("digit, action", [(2, Action.DONE), (3, Action.SEND_MORE),
                                           (4, Action.RETRY_LATER), (5, Action.DO_NOT_RETRY)])
def test_action_follows_the_class(digit, action):
    assert ReplyClass(digit).action is action
    for code in basic_codes():
        if code.code // 100 == digit:
            assert code.action is action


def test_class_and_subject_labels_are_the_rfc_names():
    assert [c.label for c in ReplyClass] == ["Positive Completion", "Positive Intermediate",
                                             "Transient Negative Completion", "Permanent Negative Completion"]
    assert [s.label for s in Subject] == ["Syntax", "Information", "Connections", "Unspecified",
                                          "Unspecified", "Mail system"]


def test_digits_reads_an_unassigned_code():
    reading = smtplearn.digits(259)
    assert (reading.reply_class, reading.subject, reading.assigned) == (ReplyClass(2), Subject(5), False)
    text = str(reading)
    assert ReplyClass(2).label in text and Subject(5).label in text
    assert smtplearn.digits("211").assigned is True


def test_digits_refuses_enhanced_codes_and_garbage():
    for bad in ("5.1.1", "abc", 600):
        with pytest.raises(InvalidCodeError):
            smtplearn.digits(bad)


# --- prose and data integrity ---------------------------------------------------------------

def test_every_prose_field_is_filled():
    for code in basic_codes():
        assert code.title.strip(), code.code
        for meaning in code.meanings:
            for name in PROSE_FIELDS:
                text = getattr(meaning, name)
                assert text and "TODO" not in text and len(text) >= 20, (code.code, meaning.source, name)
    for entry in enhanced_codes():
        fields = ("description", "when", "fix") if entry.kind == "detail" else ("description",)
        for name in fields:
            text = getattr(entry, name)
            assert text and "TODO" not in text and len(text) >= 20, (entry.code, name)


def test_phases_actors_and_related_codes_are_valid():
    phases = set(data_files.labels()["phase"])
    actors = set(data_files.digits()["actor"])
    codes = all_codes()
    for code in codes.values():
        for meaning in code.meanings:
            assert meaning.commands and set(meaning.commands) <= phases, (code.code, meaning.commands)
            assert meaning.who_acts and set(meaning.who_acts) <= actors, (code.code, meaning.who_acts)
        assert code.code not in code.related
        assert set(code.related) <= set(codes), (code.code, code.related)


def test_connection_closing_codes():
    closing = {code.code for code in basic_codes() if code.closes_connection}
    assert {221, 421} <= closing
    assert 554 not in closing  # RFC 5321 sec 3.1: after a 554 greeting the server waits for QUIT
    assert closing <= {221, 421, 521}


def test_three_xx_replies_carry_no_enhanced_code():
    for code in basic_codes():
        if code.reply_class is ReplyClass.POSITIVE_INTERMEDIATE:
            assert all(not m.enhanced for m in code.meanings)


def test_meaning_enhanced_codes_agree_with_the_class():
    for code in basic_codes():
        for meaning in code.meanings:
            for enhanced in re.findall(r"\b([245X])\.\d+\.\d+", meaning.enhanced):
                assert enhanced in ("X", str(code.code // 100)), (code.code, meaning.enhanced)


def test_checked_values_are_documented_ones():
    for code in basic_codes():
        for meaning in code.meanings:
            assert meaning.checked in {"yes", "registry", "secondary", "no"}


# --- lookups ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", [211, "211", " 211 ", "211\n"])
def test_lookup_basic_spellings(spelling):
    code = smtplearn.lookup(spelling)
    assert isinstance(code, ReplyCode) and code.code == 211 and code.title == "System status"


@pytest.mark.parametrize("spelling, kind, canonical", [
    ("5.1.1", "detail", "5.1.1"), ("X.1.1", "detail", "X.1.1"), ("x.1.1", "detail", "X.1.1"),
    ("4.X.X", "class", "4.X.X"), ("4.XXX.YYY", "class", "4.X.X"), ("X.1.X", "subject", "X.1.X"),
    ("X.1.YYY", "subject", "X.1.X"), (" 2.7.0 ", "detail", "2.7.0"),
])
def test_lookup_enhanced_spellings(spelling, kind, canonical):
    entry = smtplearn.lookup(spelling)
    assert isinstance(entry, EnhancedCode)
    assert (entry.kind, entry.code) == (kind, canonical)


def test_enhanced_code_with_a_class_knows_its_class_and_registry_entry():
    entry = smtplearn.lookup("5.1.1")
    generic = smtplearn.lookup("X.1.1")
    assert entry.reply_class is ReplyClass.PERMANENT_NEGATIVE and generic.reply_class is None
    assert entry.generic == "X.1.1" and entry.name == generic.name
    assert entry.class_entry.code == "5.X.X" and entry.subject_entry.code == "X.1.X"


@pytest.mark.parametrize("bad", ["abc", 99, 600, "5.1", 571, 1000, -250, 2.5, None, True, "", "6.1.1",
                                 "25O", "5.1.1.1", [250], b"250", "1.1.1", 101])
def test_malformed_input_raises_invalid_code_error_naming_it(bad):
    with pytest.raises(InvalidCodeError) as caught:
        smtplearn.lookup(bad)
    message = str(caught.value)
    assert repr(bad) in message or str(bad) in message
    assert "5.1.1" in message or "250" in message or "2, 3, 4 or 5" in message or "0 to 5" in message


def test_571_hints_at_a_mangled_enhanced_code():
    with pytest.raises(InvalidCodeError, match=r"5\.7\.1"):
        smtplearn.lookup(571)


def test_unassigned_code_raises_unknown_code_error_that_reads_the_digits():
    with pytest.raises(UnknownCodeError) as caught:
        smtplearn.lookup(259)
    assert isinstance(caught.value, LookupError)
    assert ReplyClass(2).label in str(caught.value) and Subject(5).label in str(caught.value)


def test_unregistered_enhanced_code_is_unknown_but_explained():
    with pytest.raises(UnknownCodeError, match="Security or Policy Status"):
        smtplearn.lookup("5.7.606")


def test_errors_are_value_and_lookup_errors():
    assert issubclass(InvalidCodeError, ValueError)
    assert issubclass(UnknownCodeError, LookupError)


# --- renderings ------------------------------------------------------------------------------

def test_code_renders_as_text_markdown_html_and_dict():
    code = smtplearn.lookup(504)
    text, markdown, page = str(code), code._repr_markdown_(), code._repr_html_()
    for rendering in (text, markdown, page):
        assert "504" in rendering and "Permanent Negative Completion" in rendering
        assert code.description[:30].replace("<", "&lt;") in rendering.replace("\\", "")
    assert "var(--jp-error-color1" in page
    assert json.loads(json.dumps(code.to_dict()))["class"] == 5


def test_html_escapes_angle_brackets_from_the_rfc_text():
    page = smtplearn.lookup(220)._repr_html_()
    assert "<domain>" not in page and "&lt;domain&gt;" in page


def test_enhanced_code_renders_with_its_class():
    entry = smtplearn.lookup("4.2.2")
    assert "Mailbox full" in str(entry)
    assert "var(--jp-warn-color1" in entry._repr_html_()


def test_catalog_tables():
    table = smtplearn.catalog()
    assert len(table) == len(all_codes()) and table["code"].is_unique
    for column in ("code", "title", "class", "subject", "rfc", "description", "when", "fix_client",
                   "fix_admin", "action", "closes_connection", "registry_only"):
        assert column in table.columns
    assert set(table[table["registry_only"]]["code"]) == REGISTRY_ONLY
    meanings = smtplearn.catalog(meanings=True)
    assert len(meanings) == sum(len(c.meanings) for c in basic_codes())
    assert set(meanings[meanings["code"] == 454]["context"]) >= {"STARTTLS", "AUTH"}
    enhanced = smtplearn.enhanced_catalog()
    assert len(enhanced) == 92 and list(enhanced["kind"]).count("detail") == 81


# --- cheap import ----------------------------------------------------------------------------

def test_import_does_not_pull_in_heavy_dependencies():
    script = ("import sys, smtplearn; smtplearn.lookup(250); smtplearn.lookup('5.1.1'); "
              "print(sorted(m for m in ('pandas', 'ipywidgets', 'aiosmtpd', 'IPython') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_public_names_resolve():
    for name in ("lookup", "digits", "catalog", "enhanced_catalog", "ReplyClass", "Subject"):
        assert getattr(smtplearn, name) is not None
    with pytest.raises(AttributeError):
        smtplearn.no_such_name  # noqa: B018


# --- the documents behind the catalog ---------------------------------------------------------

def test_every_cited_document_and_context_is_described():
    documents = {e.source: e for e in smtplearn.extensions()}
    contexts = {e.context for e in documents.values()}
    for code in basic_codes():
        for meaning in code.meanings:
            assert meaning.source in documents, meaning.source
            assert meaning.context in contexts or meaning.context == "BURL", meaning.context
    for extension in documents.values():
        assert len(extension.summary) >= 40 and "TODO" not in extension.summary


def test_requiretls_and_dsn_define_no_reply_codes():
    documents = {e.source: e for e in smtplearn.extensions()}
    assert documents["RFC 8689"].defines_codes is False
    assert documents["RFC 3461"].defines_codes is False
    assert documents["RFC 4954"].defines_codes is True
    assert set(documents["RFC 4954"].codes) >= BY_DOCUMENT["RFC 4954"]
    assert documents["RFC 4954"].keyword == "AUTH"


def test_extension_catalog_table():
    table = smtplearn.extension_catalog()
    assert table["source"].is_unique
    assert "535" in table.set_index("source").loc["RFC 4954", "codes"]


@pytest.mark.parametrize("number, source, citation", [
    (211, "RFC 5321", "RFC 5321 sec 4.2.3"),
    (451, "RFC 7372", "RFC 7372 (registry X.7.24)"),
    (253, "RFC 1985", "RFC 1985 sec 5.1"),
    (450, "RFC 2645", "RFC 2645"),
])
def test_citations_read_naturally(number, source, citation):
    meaning = next(m for m in smtplearn.lookup(number).meanings if m.source == source)
    assert meaning.citation == citation
