"""The core modules' messages in Korean: output refusals, importers' input errors (with the kind of a JSON value
in Korean too), the diff's text table, expression errors a catalog author sees, and facts that cannot hold together.
English stays exactly what it was (the other tests assert it)."""

from __future__ import annotations

import re

import pytest

from compliance import i18n
from compliance.importers import IdentityMap
from compliance.loading import InputError

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def korean():
    i18n.use("ko")
    yield
    i18n.use("en")


def _refusal(call) -> str:
    with pytest.raises(InputError) as err:
        call()
    return str(err.value)


def test_an_output_refusal_is_korean_and_names_the_target(tmp_path, korean):
    from compliance.output import write_output

    message = _refusal(lambda: write_output(tmp_path, b"x"))
    assert message == f"{tmp_path}: 폴더입니다. 파일 이름을 주세요"


def test_an_importers_input_error_is_korean_and_keeps_the_technical_names(korean):
    from compliance.importers import aws_iam

    message = _refusal(lambda: aws_iam.read(b"name,arn\nbob,x\n", "report.csv", IdentityMap()))
    assert message.startswith("report.csv:1: AWS IAM 자격 증명 보고서가 아닙니다. 첫 열은 'user,arn'이어야 합니다")
    assert "aws iam get-credential-report" in message


def test_the_kind_of_a_json_value_is_said_in_korean_inside_the_sentence(korean):
    from compliance.importers import identity

    message = _refusal(lambda: identity.read(b'{"value": []}', "users.json", IdentityMap(), kind="okta-users"))
    assert "JSON 배열이어야 하는데 객체입니다" in message and "entra-users로 가져오세요" in message, message


def test_a_scanner_report_of_another_tool_says_which_kind_to_use_in_korean(korean):
    from compliance.importers import vulnerabilities

    grype = b'{"matches": [], "descriptor": {"name": "grype"}, "source": {"target": "x"}}'
    message = _refusal(lambda: vulnerabilities.read(grype, "scan.json", IdentityMap(), kind="trivy"))
    assert "Trivy JSON 보고서(trivy image --format json)이(가) 아닙니다" in message
    assert "(Grype 출력으로 보입니다: pipa-audit import grype …)" in message, message


def test_the_diff_text_table_is_korean(korean):
    from compliance.diff import as_markdown, as_text

    d = {
        "old": {"as_of": "2025-01-01"}, "new": {"as_of": "2025-06-30"},
        "policy": {"fail_on": "low", "insufficient": "fail"},
        "regressions": [], "newly_failing": [], "fixed": [], "still_failing": [], "only_in_new": [],
        "absent_in_new": [{"id": "pipa/29", "severity": "high", "old": "non-compliant", "new": None,
                           "cite": "PIPA Art. 29", "title": "Safety measures",
                           "why": "no longer in force on 2025-03-01"}],
        "verdict_changes": [], "new_waivers": [], "expired_waivers": [],
        "catalogs": {"into_force": [], "out_of_force": ["pipa 2023"]}, "law_changes": [],
    }
    text = as_text(d)
    assert "악화(실행 실패 사유): 0" in text and "NEW에 없음(사라졌을 뿐 개선된 것은 아님): 1" in text
    assert "non-compliant → (없음)" in text
    assert "시행된 카탈로그: 없음; 효력을 잃은 카탈로그: pipa 2023" in text
    assert text.rstrip().endswith("--fail-on low --insufficient fail 기준 악화 없음")
    md = as_markdown(d)
    assert md.startswith("## ✅ pipa-audit: 2025-01-01 이후 악화 0건") and "| 통제항목 | 심각도 | 판정 | 조항 |" in md


def test_the_reason_a_control_vanished_is_korean(korean):
    from compliance.diff import _Catalog, _Control, _why_absent, Result

    control = _Control(id="x/1", catalog="pipa", severity="high", verdict="non-compliant")
    old = Result(tool="pipa-audit", as_of="2025-01-01", catalogs=[_Catalog(id="pipa", version="1")], controls=[control])
    new = Result(tool="pipa-audit", as_of="2025-06-30", catalogs=[_Catalog(id="pipa", version="2")], controls=[control])
    assert _why_absent(control, old, new, {}) == (True, "카탈로그 pipa 1은(는) NEW에서 시행 중이 아닙니다(시행 중인 버전은 2)")


def test_an_expression_error_a_catalog_author_sees_is_korean(korean):
    from compliance.catalog import FACTS_TYPE
    from compliance.expr import ExprError, compile_expr

    with pytest.raises(ExprError) as err:
        compile_expr("size(handlerz) > 0", FACTS_TYPE)
    assert err.value.message == "알 수 없는 이름 'handlerz' ('handlers'을(를) 뜻했나요?)"
    assert str(err.value) == "6번째 열: " + err.value.message


def test_a_lookalike_id_is_refused_in_korean(korean):
    from compliance.integrity import lookalike

    assert lookalike("h\u22120042") == "U+2212(MINUS SIGN)가 들어 있습니다. 일반 '-'와 공백을 쓰세요"


def test_english_is_the_same_text_as_before():
    """Without Korean chosen, the ids themselves are shown: the English every other test asserts."""
    from compliance.integrity import lookalike
    from compliance.output import write_output

    assert i18n.current() == "en"
    assert lookalike("h\u22120042") == "contains U+2212 (MINUS SIGN); use plain '-' and spaces"
    with pytest.raises(InputError) as err:
        write_output("/", b"x")
    assert str(err.value) == "/: is a directory; give a file name" and not HANGUL.search(str(err.value))
