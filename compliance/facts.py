"""The facts model: what an organisation states about its systems, as a compliance officer fills it in.

Every field carries a Korean and English description (used by ``pipa-audit init`` and the
JSON Schema for editors). Unknown keys are rejected so a typo is an error, not a silent gap.

Absence has two meanings, fixed per field:
- most facts are *unknown* when absent (or null): the checks that need them give
  ``insufficient-evidence``;
- event fields marked ``absent="none"`` (``left_on``, ``revoked_on``, ``reported_to_pipc_at``…)
  mean "did not happen" when absent or null, so a current employee needs no ``left_on``;
- fields marked ``absent="default"`` (the working calendar) take the default their label names when absent, and
  what uses them says the default was used.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from compliance import expr, loading
from compliance.expr import type_of_annotation
from compliance.forms import Date, Stamp, TimeOfDay, YesNo
from compliance.i18n import _

# Date, Stamp and YesNo are written in the forms compliance.forms accepts (2025-03-31, 2025. 3. 31., 예/아니오…):
# the same in YAML, JSON, CSV and XLSX. A number is never a date and never a yes/no.
Unknown = Literal["unknown"]
"""An event whose occurrence is not known: ``reported_to_pipc_at: unknown`` (absent means it did not happen)."""


def fact(ko: str, en: str, *, absent: Literal["unknown", "none", "default"] = "unknown", example: Any = None, **kw):
    """A facts field: optional in the file, described in both languages."""
    extra = {"ko": ko, "absent": absent}
    if example is not None:
        extra["example"] = example
    return Field(default=None, description=en, json_schema_extra=extra, **kw)


def required(ko: str, en: str, *, example: Any = None, **kw):
    extra = {"ko": ko, "absent": "error"}
    if example is not None:
        extra["example"] = example
    return Field(description=en, json_schema_extra=extra, **kw)


class Strict(BaseModel):
    # str_max_length: a 1 MB organisation name took 112 s to lay out in the PDF (4096 chars: ~3x a normal report)
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=4096, defer_build=True)


class Organization(Strict):
    name: str = required("기관(사업자) 명칭", "Name of the organisation", example="Example Commerce Co., Ltd.")
    kind: Literal["private", "public", "individual", "group"] | None = fact(
        "기관 유형: private(민간 사업자) / public(공공기관) / individual(개인) / group(단체)",
        "Kind of processor: private business, public body, individual or group",
        example="private",
    )
    size: Literal["large", "mid", "small", "micro"] | None = fact(
        "기업 규모: large(대기업) / mid(중견) / small(중소) / micro(소상공인)",
        "Business size: large, mid-sized, small, micro",
        example="large",
    )
    subjects: StrictInt | None = fact(
        "보유한 개인정보의 정보주체 수(전체 총합)", "Number of data subjects whose data is held", example=120000, ge=0
    )
    ict_service_provider: YesNo | None = fact(
        "정보통신서비스 제공자 해당 여부", "Is the organisation an ICT service provider?", example=True
    )
    key_telecom_operator: YesNo | None = fact(
        "「전기통신사업법」 제6조제1항의 기간통신사업자 해당 여부",
        "Registered/declared key telecommunications operator (Telecommunications Business Act Art 6(1))",
        example=False,
    )
    unique_identifiers: YesNo | None = fact(
        "고유식별정보(주민등록번호·여권번호·운전면허번호·외국인등록번호) 처리 여부",
        "Processes unique identifiers (RRN, passport, driver's licence, alien registration no.)",
        example=False,
    )
    sensitive_data: YesNo | None = fact("민감정보 처리 여부", "Processes sensitive data", example=False)
    daily_users_avg: StrictInt | None = fact(
        "전년도 말 기준 직전 3개월간 일일평균 저장·관리 이용자 수",
        "Daily average number of users stored over the last 3 months of the previous year",
        example=50000,
        ge=0,
    )
    revenue_krw: StrictInt | None = fact(
        "직전 사업연도 매출액(원): 과징금 상한 계산에만 쓰임(미기재 시 상한 '알 수 없음')",
        "Revenue of the last business year, KRW: used only to compute the statutory maximum of a 과징금 (unknown if omitted)", ge=0,
    )
    revenue_3y_avg_krw: StrictInt | None = fact(
        "직전 3개 사업연도 연평균 매출액(원, 시행령 제60조의2)", "Average yearly revenue of the last 3 business years, KRW (Decree Art 60-2)", ge=0
    )
    unrelated_revenue_krw: StrictInt | None = fact(
        "위반행위와 관련이 없는 매출액(원, 처리자가 입증한 경우)", "Revenue unrelated to the violation, KRW (where the processor shows it)", ge=0
    )
    related_revenue_krw: StrictInt | None = fact(
        "위반행위 관련 매출액을 직접 산정한 경우(원)", "Revenue related to the violation, where computed directly, KRW", ge=0
    )
    public_system_operator: YesNo | None = fact(
        "공공시스템운영기관(고시 제14조) 해당 여부", "Operator of a designated public system (Notice Art 14)", example=False
    )
    public_system_user_agency: YesNo | None = fact(
        "공공시스템이용기관으로서 소관 취급자의 계정·권한을 직접 관리하는지 여부(고시 제16조제5항)",
        "A public system user agency that issues accounts and manages access for its own handlers (Notice Art 16(5))",
        example=False,
    )
    privacy_officer: str | None = fact("개인정보 보호책임자(CPO) 성명", "Chief privacy officer (CPO)", example="Kim CPO")
    isms_p_mandatory: YesNo | None = fact(
        "법 제32조의2제1항 단서의 인증 의무 대상(매출액, 개인정보의 처리 규모 등을 고려하여 대통령령으로 정하는 기준에 해당)인지"
        "(2027. 7. 1.부터). 참조 원문(시행령 대통령령 제36671호)에는 그 기준이 아직 없음: 기준일에 시행 중인 시행령으로 판단",
        "Must the processor be certified under PIPA Art 32-2(1) proviso (it meets the criteria the Decree sets, by revenue, "
        "scale of processing etc.; from 2027-07-01)? The stored Decree (36671) sets no such criteria yet: judge by the Decree "
        "in force on the as-of date",
        example=False,
    )
    isms_p_certified: YesNo | None = fact(
        "법 제32조의2에 따른 개인정보 보호 인증(ISMS-P 등)을 받았는지", "Does the processor hold the PIPA Art 32-2 certification (ISMS-P etc.)?",
        example=True,
    )
    isms_p_certified_until: Date | None = fact(
        "그 인증의 유효기간 만료일(법 제32조의2제2항: 3년)", "Last day the certification is valid (Art 32-2(2): 3 years)",
        example="2028-03-31",
    )


class RemoteAccess(Strict):
    allowed: YesNo | None = fact(
        "개인정보취급자의 외부(정보통신망) 접속 허용 여부", "Can handlers reach the system from outside?", example=True
    )
    methods: list[Literal["password", "otp", "certificate", "security-token", "vpn", "biometric"]] | None = fact(
        "외부 접속 시 적용하는 인증·접속 수단 목록",
        "Authentication / access means applied to access from outside",
        example=["vpn", "otp"],
    )


class AccessLog(Strict):
    retention_days: StrictInt | None = fact(
        "접속기록 보관 기간(일)", "How long handlers' access records are kept, in days", example=730, ge=0
    )
    tamper_protected: YesNo | None = fact(
        "접속기록 위·변조 방지 보관 조치(WORM, 별도 저장 등) 여부",
        "Are access records protected against forgery/alteration (WORM, separate store)?",
        example=True,
    )
    reviews: list[Date] | None = fact(
        "접속기록 점검 일자 목록(월 1회 이상)", "Dates on which access records were inspected", example=["2025-10-31"]
    )
    downloads_reason_checked: YesNo | None = fact(
        "개인정보 다운로드 확인 시 사유 확인 여부",
        "When a download of personal data is found, is its reason confirmed?",
        example=True,
    )


class Component(Strict):
    """Software a system runs, for the patch state PIPC decisions turn on (end of life, versions)."""

    name: str = required("구성요소(OS·미들웨어·라이브러리 등) 이름", "Component name (OS, middleware, library)", example="Apache Struts")
    version: str | None = fact("버전", "Version in use", example="2.5.10")
    end_of_life: YesNo | None = fact(
        "제조사 지원 종료(EOL)로 보안 업데이트가 없는지 여부", "End of life: the vendor no longer ships security updates", example=False
    )


class Vulnerability(Strict):
    """A known vulnerability and when its fix was available and applied (Notice Art 9(2))."""

    id: str = required("취약점 식별자(CVE 등)", "Vulnerability id (CVE etc.)", example="CVE-2017-5638")
    component: str | None = fact("해당 구성요소", "Affected component", example="Apache Struts")
    severity: Literal["critical", "high", "medium", "low"] | None = fact("심각도", "Severity", example="critical")
    fix_available_on: Date | None = fact("보안 업데이트 공지(배포)일", "Date the vendor's fix became available", example="2017-03-06")
    fixed_on: Date | Unknown | None = fact(
        "적용일(적용하지 않았으면 생략)", "Date the fix was applied (omit if not applied)", absent="none", example="2017-03-08"
    )


class Alert(Strict):
    """An intrusion-detection or anomaly alert, and whether anyone looked (Notice Art 6(1) item 2)."""

    id: str = required("경보 식별자", "Alert id", example="ids-2025-0611-17")
    raised_at: Stamp | None = fact("발생 일시", "Raised at", example="2025-06-11T02:14:00+09:00")
    kind: str | None = fact("종류", "Kind", example="bulk download from a foreign address")
    reviewed_at: Stamp | Unknown | None = fact(
        "검토 일시(검토하지 않았으면 생략)", "Reviewed at (omit if never reviewed)", absent="none"
    )
    followed_up: YesNo | None = fact("후속 조치 여부", "Was it followed up (blocked, investigated)?", example=True)
    leak_attempt: YesNo | None = fact(
        "개인정보 유출 시도를 탐지한 경보인지(고시 제6조제1항제2호: 접속 IP 주소 등 분석에 의한 유출 시도 탐지 및 대응)",
        "Does the alert flag an attempt to leak personal data (Notice Art 6(1) item 2: leak attempts detected from the "
        "addresses that accessed the system, to be responded to)?",
        example=True,
    )


class AuthDatum(Strict):
    """One kind of authentication data a system stores, and how (Notice Art 7(1)): passwords must be
    one-way hashed; keys, tokens, subscriber authentication keys and biometric templates must be encrypted."""

    kind: Literal["password", "key", "token", "subscriber-auth-key", "biometric-template", "certificate", "otp-seed"] = required(
        "인증정보 종류", "Kind of authentication data", example="password"
    )
    storage: Literal["one-way-hash", "encrypted", "plaintext", "encoded"] | None = fact(
        "저장 방식: one-way-hash(일방향 암호화) / encrypted(안전한 암호 알고리즘) / plaintext / encoded(Base64 등, 암호화 아님)",
        "How it is stored: one-way hash, encrypted with a safe algorithm, plaintext, or merely encoded (Base64…)",
        example="one-way-hash",
    )
    algorithm: str | None = fact(
        "알고리즘(예: bcrypt, argon2id, PBKDF2, SHA-256, MD5): 고시 제7조제1항의 '안전한 암호 알고리즘'인지 카탈로그 목록으로 판단",
        "Algorithm (e.g. bcrypt, argon2id, PBKDF2, SHA-256, MD5): judged against the catalog's lists of safe and unsafe "
        "algorithms (Notice Art 7(1) 'safe algorithm')",
        example="bcrypt",
    )
    salted: YesNo | None = fact(
        "솔트(사용자별 임의값) 적용 여부(bcrypt·scrypt·Argon2·PBKDF2는 알고리즘이 솔트를 포함)",
        "Is a per-password random salt applied? (bcrypt, scrypt, Argon2 and PBKDF2 include one by design)",
        example=True,
    )
    assessed_safe: YesNo | None = fact(
        "카탈로그 목록에 없는 알고리즘일 때만: 안전한 암호 알고리즘인지 검토한 결과(검토 문서를 첨부; 목록의 취약 알고리즘은 이 값과 관계없이 미흡)",
        "Only for an algorithm the catalog does not list: the outcome of a review of whether it is a safe algorithm "
        "(attach the review; an algorithm the catalog lists as unsafe fails whatever this says)",
    )


class MalwareFinding(Strict):
    """Malware actually found on a system (a web shell, a backdoor…) and when it was removed or otherwise dealt with
    (Notice Art 9(1) item 2: 발견된 악성프로그램 등에 대해 삭제 등 대응 조치)."""

    id: str = required("발견 건 식별자", "Finding id", example="webshell-2026-10-05")
    kind: Literal["web-shell", "backdoor", "ransomware", "trojan", "cryptominer", "other"] | None = fact(
        "종류: web-shell(웹셸) / backdoor / ransomware / trojan / cryptominer / other", "Kind of malware", example="web-shell"
    )
    found_on: Date | None = fact("발견일", "Date it was found", example="2026-10-05")
    removed_on: Date | Unknown | None = fact(
        "삭제 등 대응 조치(삭제·격리·시스템 재구축)를 마친 날(하지 않았으면 생략)",
        "Date it was removed or otherwise dealt with (deleted, quarantined, system rebuilt); omit if not",
        absent="none", example="2026-10-06",
    )
    description: str | None = fact("내용(위치·발견 경위)", "Where it was and how it was found", example="JSP web shell under /upload, found by forensics")


class Secret(Strict):
    """Where server credentials, keys and tokens live (PIPC treats plaintext server passwords as an access-rights failure)."""

    id: str = required("비밀정보 식별자", "Secret id", example="db-admin-password")
    kind: Literal["password", "api-key", "signing-key", "token", "private-key", "db-credential", "other"] | None = fact(
        "종류", "Kind", example="db-credential"
    )
    system: str | None = fact("사용 시스템", "System it opens", example="sys-shop")
    owner: str | None = fact("관리 개인정보취급자", "Handler responsible", example="h-0001")
    location: Literal["code", "config-file", "vault", "hsm", "environment", "ticket-or-wiki", "other"] | None = fact(
        "저장 위치", "Where it is stored", example="vault"
    )
    plaintext: YesNo | None = fact("평문 저장 여부", "Stored in plain text?", example=False)
    count: StrictInt | None = fact("같은 방식으로 저장된 개수", "How many are stored this way", example=1, ge=1)
    verified: YesNo | None = fact(
        "스캐너가 실제로 동작함을 확인했는지(검증된 유효 비밀정보)", "Verified live by a scanner: the value worked against its service when scanned",
        example=False,
    )


class System(Strict):
    id: str = required("개인정보처리시스템 식별자", "Identifier of the processing system", example="sys-shop")
    name: str | None = fact("시스템 명칭", "System name", example="Shop database")
    kind: Literal["processing-system", "vpn-gateway", "firewall", "management-console", "other"] | None = fact(
        "종류: processing-system(개인정보처리시스템; 이 목록의 본래 대상이므로 생략하면 이것으로 봄) / vpn-gateway(가상사설망 장비) / "
        "firewall(침입차단시스템) / management-console(보안장비·네트워크 관리 콘솔) / other(그 밖의 정보통신망을 관리하는 시스템). "
        "장비는 고시 제2조제8호·제11호(정보통신망을 관리하는 시스템 등의 비밀번호·인증정보), 제5조제5항, 제6조제2항(외부 접속 경로), "
        "제7조제1항, 제9조의 점검 대상",
        "Kind: processing-system (what this list is for, so an entry without a kind is one), vpn-gateway, firewall, "
        "management-console (of security or network devices) or other (another system managing the network). Devices are "
        "judged under Notice Arts 2(8) and 2(11) (passwords and authentication data of systems managing the network), 5(5), "
        "6(2) (the path for access from outside), 7(1) and 9",
        absent="none", example="processing-system",
    )
    reaches: list[str] | None = fact(
        "이 장비(VPN 등)를 거쳐 접속할 수 있는 개인정보처리시스템 또는 개인정보 저장소(data_stores) 식별자 목록",
        "Processing systems or personal-data stores (data_stores) reachable through this device (a VPN gateway etc.)",
        example=["sys-shop"],
    )
    operating_since: Date | None = fact("운영 개시일", "In operation since", example="2019-01-01")
    subjects: StrictInt | None = fact(
        "해당 시스템이 처리하는 정보주체 수", "Data subjects whose data this system processes", example=120000, ge=0
    )
    user_data: YesNo | None = fact(
        "이용자(정보통신서비스 이용자)의 개인정보 처리 여부", "Does it process users' data (ICT service users)?", example=True
    )
    unique_identifiers: YesNo | None = fact(
        "고유식별정보 처리 여부", "Does it process unique identifiers?", example=False
    )
    sensitive_data: YesNo | None = fact("민감정보 처리 여부", "Does it process sensitive data?", example=False)
    art7_data: YesNo | None = fact(
        "고시 제7조제1항·제2항의 정보(비밀번호·생체인식정보 등 인증정보, 이용자의 주민등록번호·여권번호·운전면허번호·외국인등록번호·신용카드번호·계좌번호·생체인식정보) 보유 여부",
        "Holds Notice Art 7(1)-(2) data: authentication data, or users' RRN, passport, licence, alien-registration, card or account numbers, biometrics",
        example=True,
    )
    public_system: YesNo | None = fact(
        "보호위원회가 지정한 공공시스템 해당 여부(고시 제14조)", "A public system designated by the PIPC (Notice Art 14)", example=False
    )
    vulnerability_checked_on: list[Date] | None = fact(
        "취약점 점검 실시일 목록(공공시스템, 고시 제18조제1항)", "Dates of vulnerability checks (public systems, Notice Art 18(1))",
        example=["2027-02-01"],
    )
    penetration_tested_on: list[Date] | None = fact(
        "외부 전문기관·전문가 침투테스트 실시일 목록(고시 제18조제2항)", "Dates of external penetration tests (Notice Art 18(2))",
        example=["2027-03-15"],
    )
    ip_restricted: YesNo | None = fact(
        "접속 권한을 IP 주소 등으로 제한하는지 여부", "Is access restricted by IP address etc.?", example=True
    )
    ip_leak_detection: YesNo | None = fact(
        "접속 IP 주소 등을 분석하여 유출 시도를 탐지·대응하는지 여부",
        "Are accessing IP addresses analysed to detect and respond to leak attempts?",
        example=True,
    )
    remote_access: RemoteAccess | None = fact("외부 접속", "Access from outside")
    session_timeout_minutes: StrictInt | None = fact(
        "일정 시간 미사용 시 자동 접속 차단 시간(분)", "Idle minutes before the session is cut off", example=30, ge=0
    )
    password_storage: Literal["one-way-hash", "reversible-encryption", "plaintext"] | None = fact(
        "비밀번호 저장 방식", "How passwords are stored", example="one-way-hash"
    )
    identifiers_encrypted: YesNo | None = fact(
        "주민등록번호·여권번호·운전면허번호·외국인등록번호·신용카드번호·계좌번호·생체인식정보의 암호화 저장 여부",
        "Are RRN, passport, licence, alien reg., card, account numbers and biometrics encrypted at rest?",
        example=True,
    )
    web_exposure_checked: YesNo | None = fact(
        "홈페이지·P2P·공유설정 등을 통한 노출·유출 방지 조치 여부",
        "Are disclosure and leaks via web pages, P2P and sharing settings prevented on this system?",
        example=True,
    )
    transit_encrypted: YesNo | None = fact(
        "인터넷망 구간 송·수신 시 암호화(TLS 등) 여부", "Is personal data encrypted in transit over the internet?",
        example=True,
    )
    access_log: AccessLog | None = fact("접속기록", "Access records")
    environment: Literal["production", "staging", "test", "development", "analytics"] | None = fact(
        "용도(운영·검증·테스트·개발·분석)", "Purpose: production, staging, test, development, analytics", example="production"
    )
    holds_production_copy: YesNo | None = fact(
        "운영 개인정보의 복사본 보유 여부(테스트·개발 시스템)", "Holds a copy of production personal data (test/dev systems)", example=False
    )
    data_past_retention: YesNo | None = fact(
        "보유기간이 지났거나 목적을 달성한 개인정보가 남아 있는지", "Holds personal data past its retention period or purpose", example=False
    )
    network_zone: Literal["internet-facing", "dmz", "internal"] | None = fact(
        "네트워크 구간: internet-facing(인터넷 직접 노출) / dmz / internal(내부망)", "Network zone: internet-facing, DMZ or internal",
        example="internal",
    )
    internet_separated: YesNo | None = fact(
        "인터넷망과 내부망(핵심망)의 분리 여부", "Is the internal/core network separated from the internet?", example=True
    )
    separation_method: Literal["physical", "logical", "none"] | None = fact(
        "분리 방식", "How it is separated", example="logical"
    )
    read_requires_auth: YesNo | None = fact(
        "개인정보 조회에 인증이 필요한지(비인증 API 등 없음)", "Does reading personal data always require authentication (no open API)?",
        example=True,
    )
    server_malware_protection: YesNo | None = fact(
        "서버의 악성프로그램 방지 프로그램 설치·운영 여부", "Is anti-malware installed and running on the servers?", example=True
    )
    components: list[Component] | None = fact("운영 구성요소(OS·소프트웨어)", "Components (OS, software) and versions")
    vulnerabilities: list[Vulnerability] | None = fact(
        "알려진 취약점과 보안 업데이트 적용 현황(없으면 빈 목록)", "Known vulnerabilities and their fixes (empty if none)"
    )
    intrusion_detection: YesNo | None = fact(
        "침입탐지·이상행위 경보 운영 여부", "Is intrusion/anomaly detection running with alerts?", example=True
    )
    alerts: list[Alert] | None = fact("기간 중 발생한 경보(없으면 빈 목록)", "Alerts raised in the period (empty if none)")
    auth_data: list[AuthDatum] | None = fact(
        "저장하는 인증정보 종류별 저장 방식", "Authentication data stored, by kind, and how it is stored"
    )
    rrn: YesNo | None = fact("주민등록번호 처리 여부", "Processes resident registration numbers?", example=False)
    rrn_encrypted: YesNo | None = fact(
        "주민등록번호 암호화 저장 여부(법 제24조의2제2항)", "Are resident registration numbers encrypted at rest (PIPA Art 24-2(2))?",
        example=True,
    )
    other_identifiers: YesNo | None = fact(
        "주민등록번호 외의 고유식별정보(여권번호·운전면허번호·외국인등록번호) 처리 여부",
        "Does it process unique identifiers other than resident registration numbers (passport, licence, alien registration numbers)?",
        example=False,
    )
    other_identifiers_encrypted: YesNo | None = fact(
        "주민등록번호 외 고유식별정보의 암호화 저장 여부(법 제24조제3항, 영 제21조제1항)",
        "Are the identifiers other than resident registration numbers encrypted at rest (PIPA Art 24(3), Decree Art 21(1))?",
        example=True,
    )
    sensitive_encrypted: YesNo | None = fact(
        "민감정보 암호화 저장 여부", "Is sensitive data encrypted at rest?", example=True
    )
    identifiers_encryption_basis: Literal["impact-assessment", "risk-analysis", "none"] | None = fact(
        "내부망에 주민등록번호 외 고유식별정보(이용자가 아닌 정보주체)를 암호화하지 않고 저장할 때 그 적용 여부·범위를 정한 근거"
        "(고시 제7조제3항제2호 가목: 개인정보 영향평가 결과(공공기관), 나목: 위험도 분석 결과; 없으면 none)",
        "Where non-users' unique identifiers other than RRN are stored unencrypted in the internal network: what decided "
        "it (Notice Art 7(3) item 2: (a) the impact assessment, for public bodies; (b) a risk analysis; or none)",
        example="risk-analysis",
    )
    default_credentials_active: YesNo | None = fact(
        "제조사 기본(초기) 계정·비밀번호가 바뀌지 않은 채 사용 가능한지(장비 포함)",
        "Is a vendor default (factory) account or password still usable on it (devices included)?",
        example=False,
    )
    weak_passwords_found: StrictInt | None = fact(
        "점검(비밀번호 크래킹·사전 대입 점검 등)에서 발견되어 아직 쓰이는 취약한 비밀번호 수(없으면 0)",
        "Weak passwords (guessable, dictionary, defaults) found by a check and still in use (0 if none)",
        example=0, ge=0,
    )
    malware_found: list[MalwareFinding] | None = fact(
        "이 시스템에서 발견된 악성프로그램(웹셸 등)과 조치(없으면 빈 목록 [])",
        "Malware (web shells etc.) found on this system and what was done (state [] when none was found)",
    )


class Endpoints(Strict):
    """Handlers' computers and work mobile devices, stated for the organisation as a whole."""

    p2p_blocked: YesNo | None = fact("업무용 컴퓨터의 P2P 차단 여부", "Is P2P blocked on handlers' computers?", example=True)
    sharing_restricted: YesNo | None = fact(
        "공유설정 제한 여부", "Are file-sharing settings restricted on handlers' computers?", example=True
    )
    mobile_devices_used: YesNo | None = fact("업무용 모바일 기기 사용 여부", "Are work mobile devices used?", example=True)
    mobile_device_lock: YesNo | None = fact(
        "업무용 모바일 기기의 비밀번호 설정 등 분실·도난 대비 보호조치 여부",
        "Are work mobile devices protected (passcode etc.) against loss and theft?",
        example=True,
    )
    local_storage_encrypted: YesNo | None = fact(
        "취급자 컴퓨터·모바일 기기·보조저장매체 저장 시 암호화 여부",
        "Is personal data encrypted when stored on handlers' computers, mobile devices and removable media?",
        example=True,
    )
    internet_cut_off: YesNo | None = fact(
        "개인정보 다운로드·파기·권한설정이 가능한 취급자 컴퓨터의 인터넷망 차단 여부",
        "Are computers that can download or destroy personal data, or set access rights, cut off from the internet?",
        example=True,
    )
    malware_protection: YesNo | None = fact(
        "백신 등 보안 프로그램 설치·운영 여부", "Is anti-malware software installed and running?", example=True
    )
    malware_auto_update: YesNo | None = fact(
        "보안 프로그램 자동 업데이트 또는 일 1회 이상 업데이트 여부",
        "Is it updated automatically, or at least daily?",
        example=True,
    )
    max_patch_lag_days: StrictInt | None = fact(
        "보안 업데이트 공지 후 적용까지 걸린 최대 일수", "Longest delay, in days, between a security update notice and its application",
        example=7, ge=0,
    )
    personal_data_scans: list[Date] | None = fact(
        "업무용 컴퓨터·공유 폴더·파일 서버에서 개인정보처리시스템 밖의 개인정보 파일을 찾는 점검(검색) 실시일 목록",
        "Dates of searches of handlers' computers, shared folders and file servers for personal-data files kept outside "
        "the processing systems (what the data_stores inventory rests on)",
        example=["2025-09-15"],
    )


class DataStore(Strict):
    """Personal-data files kept outside every registered processing system (a shared drive, a file server, a
    handler's PC…), as a search of them found (``endpoints.personal_data_scans``)."""

    id: str = required("저장소 식별자", "Store id", example="fs-sales-share")
    kind: Literal["shared-drive", "file-server", "cloud-storage", "handler-computer", "mobile-device", "removable-media", "email", "other"] | None = fact(
        "종류: shared-drive(공유 폴더) / file-server / cloud-storage / handler-computer(취급자 컴퓨터) / mobile-device / "
        "removable-media(보조저장매체) / email / other",
        "Kind: shared drive, file server, cloud storage, a handler's computer, mobile device, removable media, e-mail or other",
        example="shared-drive",
    )
    location: str | None = fact("위치(경로·호스트)", "Where (path, host)", example="\\\\fs01\\sales\\customers")
    found_on: Date | None = fact("발견(확인)일", "Date it was found", example="2025-09-15")
    subjects: StrictInt | None = fact("담긴 정보주체 수(추정)", "Data subjects in it (estimate)", example=3200, ge=0)
    user_data: YesNo | None = fact("이용자의 개인정보 포함 여부", "Holds users' personal data?", example=True)
    unique_identifiers: YesNo | None = fact(
        "고유식별정보·생체인식정보 포함 여부", "Holds unique identifiers or biometric data?", example=False
    )
    shared_with_unauthorised: YesNo | None = fact(
        "권한이 없는 자가 조회·복사할 수 있게 공유설정·공개되어 있는지", "Can persons without rights read or copy it (sharing settings, public links)?",
        example=False,
    )
    rrn: YesNo | None = fact(
        "주민등록번호 포함 여부(법 제24조의2제2항: 어디에 보관하든 암호화)", "Holds resident registration numbers (Art 24-2(2): encrypted wherever kept)?",
        example=False,
    )
    encrypted: YesNo | None = fact("안전한 암호 알고리즘으로 암호화되어 있는지", "Encrypted with a safe algorithm?", example=True)
    resolved_on: Date | Unknown | None = fact(
        "개인정보처리시스템으로 옮기거나 파기하여 더 이상 남아 있지 않게 된 날(남아 있으면 생략)",
        "Date it was moved into a processing system or destroyed, so it is no longer there (omit if it still is)",
        absent="none",
    )


class Disaster(Strict):
    manual_reviewed_on: Date | Unknown | None = fact(
        "재해·재난 위기대응 매뉴얼 최근 점검일(없으면 생략)", "Last review of the disaster response manual (omit if never)",
        absent="none", example="2025-05-10",
    )
    backup_recovery_plan: YesNo | None = fact(
        "개인정보처리시스템 백업 및 복구 계획 마련 여부", "Is there a backup and recovery plan for the systems?", example=True
    )


class Destruction(Strict):
    methods: list[Literal["physical-destruction", "degaussing", "overwrite", "initialisation", "deletion-only"]] | None = fact(
        "개인정보 파기 방법", "How personal data is destroyed", example=["overwrite", "physical-destruction"]
    )


class Handler(Strict):
    id: str = required("개인정보취급자 식별자(사번 등)", "Handler identifier (employee no.)", example="h-0001")
    role: str | None = fact("직무", "Role", example="developer")
    systems: list[str] | None = fact("접근 권한이 있는 시스템 식별자", "Systems the handler may access", example=["sys-shop"])
    granted_on: Date | None = fact("접근 권한 부여일", "Date access was granted", example="2021-03-02")
    left_on: Date | Unknown | None = fact(
        "퇴직일(퇴직하지 않았으면 생략)", "Departure date (omit if still employed)", absent="none"
    )
    duties_changed_on: Date | Unknown | None = fact(
        "업무 변경일(없으면 생략)", "Date the handler's duties changed (omit if none)", absent="none"
    )
    access_changed_on: Date | Unknown | None = fact(
        "업무 변경에 따른 접근 권한 변경일(없으면 생략)", "Date access was changed after a change of duties", absent="none"
    )
    access_revoked_on: Date | Unknown | None = fact(
        "접근 권한 말소일(말소하지 않았으면 생략)", "Date access was revoked (omit if not revoked)", absent="none"
    )
    trained_on: Date | Unknown | None = fact(
        "최근 개인정보 보호 교육 이수일(없으면 생략)", "Last privacy training completed (omit if never)", absent="none",
        example="2025-03-20",
    )
    can_set_access_rights: YesNo | None = fact(
        "개인정보처리시스템 접근 권한 설정 가능 여부(고시 제6조의2제1항제1호)", "Can set access rights to the systems (Notice Art 6-2(1) item 1)",
        example=False,
    )
    can_download: YesNo | None = fact(
        "개인정보 다운로드 가능 여부(제6조의2제1항제2호)", "Can download personal data from the systems (Art 6-2(1) item 2)", example=True
    )
    can_destroy: YesNo | None = fact(
        "개인정보 파기 가능 여부(제6조의2제1항제2호)", "Can destroy personal data in the systems (Art 6-2(1) item 2)", example=False
    )
    internet_cut_off: YesNo | None = fact(
        "이 취급자 컴퓨터의 인터넷망 차단 여부", "Is this handler's computer cut off from the internet?", example=True
    )


class Account(Strict):
    id: str = required("계정 ID", "Account id", example="acc-0001")
    system: str | None = fact("시스템 식별자", "System id", example="sys-shop")
    holders: list[str] | None = fact("계정을 사용하는 개인정보취급자 ID 목록", "Handlers who use this account", example=["h-0001"])
    shared_reason: str | None = fact(
        "계정 공유의 정당한 사유(공유하지 않으면 생략)", "Legitimate reason for sharing (omit if not shared)", absent="none"
    )


class Credential(Strict):
    id: str = required("인증수단·키 식별자", "Credential or key identifier", example="key-0001")
    kind: Literal["password", "signing-key", "api-key", "certificate", "ssh-key", "otp-seed", "access-token"] | None = (
        fact("종류", "Kind", example="signing-key")
    )
    owner: str | None = fact("소유 개인정보취급자 ID", "Handler who owns it", example="h-0001")
    system: str | None = fact("사용 시스템", "System it opens", example="sys-shop")
    issued_on: Date | None = fact("발급일", "Issued on", example="2022-01-10")
    revoked_on: Date | Unknown | None = fact("폐기·말소일(없으면 생략)", "Revoked on (omit if not revoked)", absent="none")
    last_used_at: Stamp | Unknown | None = fact(
        "마지막 사용 일시(시간대 포함)", "Last use, with timezone (omit if never used)", absent="none"
    )
    last_used_from: str | None = fact(
        "마지막 사용 접속지(IP·국가)", "Where it was last used from (IP / country)", absent="none"
    )


class PasswordPolicy(Strict):
    min_length: StrictInt | None = fact("비밀번호 최소 길이", "Minimum password length", example=10, ge=0)
    min_char_classes: StrictInt | None = fact(
        "필수 문자 종류 수(영대문자·영소문자·숫자·특수문자 중)",
        "Character classes required (upper, lower, digit, symbol)",
        example=2,
        ge=0,
        le=4,
    )
    lockout_after_failures: StrictInt | None = fact(
        "계정 잠금까지 허용하는 인증 실패 횟수(잠금이 없으면 0)",
        "Failed attempts before access is restricted (0 = no lockout)",
        example=5,
        ge=0,
    )
    subject_lockout_after_failures: StrictInt | None = fact(
        "정보주체(이용자) 계정에 다른 값을 쓸 때만: 그 계정의 인증 실패 허용 횟수(잠금이 없으면 0; 생략하면 위 값이 정보주체 계정에도 적용됨)",
        "Only where data subjects' (users') accounts use another value: their failed attempts before access is "
        "restricted (0 = no lockout; omitted: the value above applies to them too)",
        absent="none", example=5,
        ge=0,
    )


class ReviewRule(Strict):
    cycle_days: StrictInt | None = fact("점검 주기(일)", "Review cycle, in days", example=30, ge=1)
    method: str | None = fact("점검 방법", "How records and downloads are reviewed", example="Automated anomaly report reviewed by the CPO")
    follow_up: str | None = fact("사후조치 절차", "Follow-up procedure", example="Handlers explain flagged downloads within 5 days")


class RiskAnalysis(Strict):
    done_on: Date | None = fact("위험 분석 실시일", "Date of the risk analysis", example="2025-10-01")
    outcome: Literal["significantly-low", "mitigated", "not-low"] | None = fact(
        "결과: significantly-low(현저히 낮음) / mitigated(감소 보호조치 적용) / not-low",
        "Outcome: risk significantly low, mitigated by protective measures, or not low",
        example="mitigated",
    )
    measures: list[str] | None = fact(
        "적용한 보호조치(별표 예시 참고)", "Protective measures applied (see the notice's annex)", example=["download caps", "masking"]
    )


class InternalPlan(Strict):
    established_on: Date | None = fact("내부 관리계획 수립일", "Internal management plan established on", example="2023-10-01")
    approved_by: str | None = fact("내부 의사결정 절차 승인자", "Approved by (internal decision procedure)", example="CEO")
    last_revised_on: Date | Unknown | None = fact("최근 개정일", "Last revised on", absent="none")
    revision_history: YesNo | None = fact(
        "중요 변경 반영 및 수정 이력 관리 여부", "Are material changes reflected and a revision history kept?", example=True
    )
    last_inspected_on: Date | Unknown | None = fact(
        "개인정보 보호책임자의 최근 이행 실태 점검일", "Last inspection of its implementation by the CPO",
        absent="none", example="2025-06-30",
    )
    attachment: str | None = fact("내부 관리계획 문서의 첨부 ID", "Attachment id of the plan document", example="internal-plan")
    access_log_review: ReviewRule | None = fact(
        "내부 관리계획에 정한 접속기록 점검 주기·방법·사후조치(고시 제8조제2항, 2026. 10. 31.부터)",
        "The access-record review cycle, method and follow-up the plan sets (Notice Art 8(2), from 2026-10-31)",
    )
    risk_analysis: RiskAnalysis | None = fact(
        "내부 관리계획에서 정한 위험 분석(고시 제6조의2제2항의 인터넷망 차단 예외)",
        "The risk analysis the plan sets (the internet cut-off exception of Notice Art 6-2(2))",
    )


WORKING_HOURS = ("09:00", "18:00")
"""Working hours when the facts state none: the usual Korean office day."""


class OwnHoliday(Strict):
    """A day the organisation does not work though the public calendar makes it a working day (창립기념일…)."""

    date: Date = required("기관 휴무일", "The day", example="2025-05-02")
    name: str | None = fact("휴무 사유(창립기념일, 노사 합의 휴무일 등)", "What the day is (founding anniversary, agreed day off…)",
                            example="창립기념일")


class WorkingHours(Strict):
    start: TimeOfDay | None = fact("근무 시작 시각(HH:MM; 생략 시 09:00)", "Start of the working day (HH:MM; omitted: 09:00)",
                                   absent="default", example="09:00")
    end: TimeOfDay | None = fact("근무 종료 시각(HH:MM; 생략 시 18:00)", "End of the working day (HH:MM; omitted: 18:00)",
                                 absent="default", example="18:00")

    @model_validator(mode="after")
    def _start_before_end(self):
        start, end = self.start or WORKING_HOURS[0], self.end or WORKING_HOURS[1]
        if start >= end:  # HH:MM strings order as the times do
            raise PydanticCustomError("working_hours", _("working hours must end after they start (start {start}, end "
                                                         "{end})").format(start=start, end=end))
        return self


class WorkingCalendar(Strict):
    """Which days and hours are the organisation's working time, so that "off-hours" access (Notice Art 8(2) review,
    ``logs analyze``) means its own off-hours: stated over the Korean public calendar (weekends, public, substitute
    and temporary holidays), which alone applies when this is absent."""

    holidays: list[OwnHoliday] | None = fact(
        "공휴일·주말 외에 기관이 쉬는 날(창립기념일 등)",
        "Days the organisation does not work besides weekends and public holidays (founding anniversary…)",
        absent="none",
    )
    workdays: list[Date] | None = fact(
        "주말·공휴일이지만 기관이 근무한 날", "Weekend days or public holidays the organisation worked",
        absent="none", example=["2025-05-05"],
    )
    working_hours: WorkingHours | None = fact(
        "근무 시간(생략 시 09:00–18:00)", "Working hours (omitted: 09:00–18:00)", absent="default",
    )

    @field_validator("holidays")
    @classmethod
    def _holidays_once(cls, v):
        days = [h.date for h in v or []]
        twice = sorted({d for d in days if days.count(d) > 1})
        if twice:
            raise PydanticCustomError("working_calendar", _("{day} is listed twice among the holidays: state each day "
                                                            "once").format(day=twice[0].isoformat()))
        return v

    @field_validator("workdays")
    @classmethod
    def _not_both(cls, v, info: ValidationInfo):
        off = {h.date for h in info.data.get("holidays") or []}
        both = sorted(off.intersection(v or []))
        if both:
            raise PydanticCustomError("working_calendar", _("{day} is both a holiday and a workday of the working "
                                                            "calendar: state it as one of them").format(day=both[0].isoformat()))
        return v


class AccessRightsRecords(Strict):
    retention_days: StrictInt | None = fact(
        "접근 권한 부여·변경·말소 내역 보관 기간(일)", "Retention of grant/change/revocation records, days", example=1095,
        ge=0,
    )
    records_since: Date | None = fact(
        "보관 중인 가장 오래된 내역의 일자", "Date of the oldest record still kept", example="2020-01-01"
    )
    reviews: list[Date] | None = fact(
        "권한 부여·변경·말소 내역 점검일 목록(공공시스템: 반기별 1회 이상)", "Dates the records were reviewed (public systems: every half year)",
        example=["2025-06-30"],
    )


NOTICE_ITEMS = Literal["items", "when-how", "self-help", "response", "contact", "legal-rights", "decree-items"]


class Awareness(Strict):
    """A moment the organisation learned something about the incident: first signal, confirmation…"""

    at: Stamp = required("일시(시간대 포함)", "When, with timezone", example="2025-11-18T09:00:00+09:00")
    kind: Literal["first-signal", "possible-leak", "confirmation", "other"] = required(
        "종류: first-signal(최초 징후) / possible-leak(유출 가능성 인지) / confirmation(유출 확인)", "Kind of moment", example="confirmation"
    )
    starts_clock: YesNo | None = fact(
        "법정 기한(72시간)이 시작되는 '알게 된 때'로 보는지", "Is this the moment the statutory clock starts ('became aware')?", example=True
    )
    description: str | None = fact("내용", "What was learned", example="CS tickets about unknown address changes")


class Notice(Strict):
    """One notice to data subjects: a cohort, a channel, what it said, and whether it was of a possible or a confirmed leak."""

    at: Stamp = required("통지 일시", "When it was sent", example="2025-11-29T12:00:00+09:00")
    kind: Literal["possible", "confirmed"] = required(
        "possible(유출등 가능성 통지, 법 제34조제2항) / confirmed(유출등 통지, 제1항)", "Notice of a possible or a confirmed leak",
        example="confirmed",
    )
    cohort: str | None = fact("통지 대상 집단", "Who it went to", example="all customers with stored addresses")
    subjects: StrictInt | None = fact("통지 대상 정보주체 수", "How many subjects", example=33700000, ge=0)
    channel: Literal["email", "sms", "post", "app", "website", "phone", "other"] | None = fact("통지 수단", "Channel", example="email")
    contents: list[NOTICE_ITEMS] | None = fact("통지에 포함한 사항", "What it stated", example=["items", "when-how"])


INCIDENT_KINDS = Literal["loss", "theft", "leak", "forgery", "alteration", "damage", "none"]


class DelayGround(Strict):
    """A ground the Decree gives for notifying or reporting after 72 hours (Arts 39(1), 40(1) provisos): the notice
    or report is then due once the ground ends, and the ground needs a document."""

    ground: Literal["urgent-containment", "force-majeure"] = required(
        "사유: urgent-containment(확산 방지를 위한 접속경로 차단·취약점 보완·회수·삭제 등 긴급 조치) / "
        "force-majeure(천재지변이나 그 밖의 부득이한 사유)",
        "Ground: urgent containment (cutting the access path, fixing the weakness, retrieving or deleting the data) or force majeure",
        example="urgent-containment",
    )
    ended_at: Stamp | None = fact("사유가 해소된 일시", "When the ground ended", example="2025-11-20T18:00:00+09:00")
    attachment: str | None = fact("사유를 보여 주는 문서의 첨부 ID", "Attachment id of the document showing the ground", example="containment-log")
    description: str | None = fact("내용", "What happened", example="Access path blocked and keys rotated before notice")


class PriorSanction(Strict):
    """An earlier 과징금: Art 64-2(2) item 1 counts it only for a violation that occurred on or after 2026-09-11."""

    decided_on: Date | None = fact("과징금 부과처분을 받은 날", "Date the earlier 과징금 was imposed", example="2026-12-01")
    violation_on: Date | None = fact("그 처분의 위반행위가 일어난 날", "Date the earlier violation occurred", example="2026-10-01")
    intent_or_gross_negligence: YesNo | None = fact(
        "이전 위반과 이번 위반 모두 고의 또는 중대한 과실이 있었는지", "Intent or gross negligence in both violations?", example=False
    )


class Incident(Strict):
    id: str = required("사고 식별자", "Incident identifier", example="inc-1")
    began_on: Date | None = fact("유출등 발생(개시) 추정일", "Date the leak began (estimate)", example="2025-06-24")
    aware_at: Stamp | None = fact(
        "유출등 사실을 알게 된 일시(시간대 포함)", "When the organisation became aware, with timezone",
        example="2025-11-18T09:00:00+09:00",
    )
    contained_at: Stamp | Unknown | None = fact("유출 차단 일시", "When the leak was contained", absent="none")
    subjects_affected: StrictInt | None = fact("유출된 정보주체 수", "Data subjects affected", example=4500, ge=0)
    items: list[str] | None = fact("유출된 개인정보 항목", "Items of personal data leaked", example=["name", "email"])
    sensitive_or_unique: YesNo | None = fact(
        "민감정보 또는 고유식별정보 유출 여부", "Were sensitive data or unique identifiers leaked?", example=False
    )
    unlawful_external_access: YesNo | None = fact(
        "외부로부터의 불법적인 접근에 의한 유출 여부",
        "Did the leak come from unlawful access from outside to the system or handlers' devices?",
        example=True,
    )
    reported_to_pipc_at: Stamp | Unknown | None = fact(
        "개인정보보호위원회 또는 한국인터넷진흥원 신고 일시(신고하지 않았으면 생략)",
        "When it was reported to the PIPC or KISA (omit if not reported)",
        absent="none",
    )
    subjects_notified_at: Stamp | Unknown | None = fact(
        "정보주체 통지 일시(통지하지 않았으면 생략)", "When the data subjects were notified (omit if not)", absent="none"
    )
    notice_contents: list[NOTICE_ITEMS] | None = fact(
        "통지에 포함한 사항: items(항목) when-how(시점·경위) self-help(피해 최소화 방법) response(대응조치·구제절차) "
        "contact(담당부서·연락처) legal-rights(손해배상·분쟁조정 등 법적 권리, 2026. 9. 11.부터) decree-items(대통령령으로 정하는 사항)",
        "What the notice stated: items, when-how, self-help, response, contact, legal-rights and decree-items (the last two from 2026-09-11)",
        example=["items", "when-how", "self-help", "response", "contact"],
    )


    possible_leak_aware_at: Stamp | Unknown | None = fact(
        "유출등의 가능성을 알게 된 일시(영 제39조의2제1항; 없으면 생략)", "When the possibility of a leak became known (Decree Art 39-2(1); omit if none)",
        absent="none",
    )
    possible_leak_notified_at: Stamp | Unknown | None = fact(
        "유출등 가능성 통지 일시(법 제34조제2항; 통지하지 않았으면 생략)", "When subjects were told of the possible leak (Art 34(2); omit if not)",
        absent="none",
    )
    retrieval_or_deletion_attempted: YesNo | None = fact(
        "유출등이 된 개인정보의 회수·삭제 등 확산 방지 조치 여부", "Was retrieval or deletion of the leaked data attempted?", example=True
    )
    risk_significantly_lowered: YesNo | None = fact(
        "회수·삭제 등으로 정보주체의 권익 침해 가능성이 현저히 낮아졌는지(영 제40조제1항 단서)",
        "Did retrieval or deletion significantly lower the risk to subjects (Decree Art 40(1) proviso)?", example=False,
    )
    awareness: list[Awareness] | None = fact(
        "인지 경과(최초 징후, 가능성 인지, 확인): 기한이 시작되는 시점을 starts_clock으로 표시",
        "How awareness unfolded (first signal, possibility, confirmation); mark the one that starts the clock",
    )
    notices: list[Notice] | None = fact(
        "정보주체 통지 내역(집단·수단·내용별)", "Notices to subjects, one per cohort and channel (sets subjects_notified_at and notice_contents when those are omitted)"
    )
    data_categories: list[
        Literal["identity", "contact", "address", "unique-identifier", "financial", "authentication", "sensitive", "location", "behavioural", "other"]
    ] | None = fact(
        "유출된 개인정보 범주", "Categories of personal data leaked", example=["identity", "contact", "address"]
    )
    aggravating_grounds: list[Literal["repeat-within-3-years", "intent-or-gross-negligence", "corrective-order-ignored"]] | None = fact(
        "법 제64조의2제2항의 가중 사유로 확인된 것(없으면 빈 목록)", "Aggravating grounds of Art 64-2(2) established (empty if none)",
        example=[],
    )
    kind: list[INCIDENT_KINDS] | None = fact(
        "개인정보에 일어난 일: loss(분실) theft(도난) leak(유출) forgery(위조) alteration(변조) damage(훼손), "
        "none(침입·시도만 있고 개인정보에 일어난 일이 없음)",
        "What happened to the personal data: loss, theft, leak, forgery, alteration, damage; or none (an intrusion or "
        "attempt that touched no personal data)",
        example=["leak"],
    )
    restored_without_harm: YesNo | None = fact(
        "훼손·변조된 개인정보를 백업 등으로 모두 복구하여 정보주체에게 피해가 없었는지",
        "Was damaged or altered data fully restored (e.g. from backup) with no subject affected?",
        example=False,
    )
    rrn_involved: YesNo | None = fact(
        "주민등록번호가 유출등의 대상에 포함되었는지", "Were resident registration numbers among the data lost, leaked or damaged?",
        example=False,
    )
    violation_ended_on: Date | None = fact(
        "위반행위(안전조치 미비 등)가 끝난 날: 과징금 규정의 선택 기준(법률 제19234호 부칙 제8조). 생략 시 유출 차단 일시",
        "The day the violation (the missing safety measure) ended: it picks the penalty regime (Act 19234 addendum Art 8). "
        "Omitted: the day the leak was contained",
        example="2025-11-20",
    )
    prior_fine: PriorSanction | None = fact(
        "같은 호의 위반으로 이전에 받은 과징금 부과처분(법 제64조의2제2항제1호)",
        "An earlier 과징금 for a violation of the same item (Art 64-2(2) item 1)",
    )
    corrective_order_on: Date | None = fact(
        "이 사고 전에 받은 법 제64조제1항의 시정조치 명령 일자(받은 적이 없으면 생략)",
        "Date of an Art 64(1) corrective order received before this incident (omit if none)",
    )
    notice_delay: DelayGround | None = fact(
        "72시간 후 통지의 근거(영 제39조제1항 단서: 긴급 조치 또는 부득이한 사유)와 증적",
        "Ground for notifying after 72 hours (Decree Art 39(1) proviso: urgent containment or force majeure) and its evidence",
    )
    report_delay: DelayGround | None = fact(
        "72시간 후 신고의 근거(영 제40조제1항 단서: 천재지변 등 부득이한 사유)와 증적",
        "Ground for reporting after 72 hours (Decree Art 40(1) proviso: force majeure) and its evidence",
    )


class Attachment(Strict):
    id: str = required("첨부 식별자", "Attachment identifier", example="internal-plan")
    path: str = required(
        "증적 파일 경로(증적 파일이 있는 폴더 기준 상대 경로)", "Path relative to the evidence file's folder",
        example="evidence/internal-plan.pdf",
    )
    kind: str = required("증적 종류", "Kind of evidence", example="internal-management-plan")
    sha256: str | None = fact("SHA-256(기재 시 대조)", "Expected SHA-256 (checked when given)", pattern=r"^[0-9a-fA-F]{64}$")
    dated: Date | None = fact("문서 작성·추출 일자", "Date of the document or export", example="2025-11-20")
    description: str | None = fact("설명", "Description")


class Attestation(Strict):
    """A named person's statement that a duty no fact can show (physical access, training…) is met."""

    control: str = required("대상 항목 ID", "Control id attested", example="notice/10.1")
    attester: str | None = fact("확인자 성명", "Name of the attester", example="Choi Facilities Manager")
    role: str | None = fact("확인자 직위", "Attester's role", example="Facilities manager")
    date: Date | None = fact("확인 일자", "Date of the attestation", example="2025-10-15")
    attachment: str | None = fact("근거 문서의 첨부 ID", "Attachment id of the supporting document", example="dc-access-log")
    met: YesNo | None = fact(
        "의무 이행 여부(미이행이면 false)", "Is the duty met? (false states a gap)", example=True
    )
    statement: str | None = fact("확인 내용", "What was checked", example="Entry to the server room is badge-controlled and logged")


class RemediationItem(Strict):
    control: str = required("개선 대상 항목 ID", "Control id the action answers", example="notice/5.2")
    action: str = required("개선 조치", "Action", example="Revoke leavers' keys the same day, automatically")
    owner: str | None = fact("담당자", "Owner", example="Head of IAM")
    due: Date | None = fact("완료 예정일", "Due date", example="2026-01-31")
    status: Literal["planned", "in-progress", "done"] | None = fact("진행 상태", "Status", example="planned")


class PrivacyOfficer(Strict):
    """The chief privacy officer (PIPA Art 31): who, since when, where they stand in the organisation."""

    name: str | None = fact("성명", "Name", example="Park CPO")
    position: str | None = fact("직위", "Position", example="Executive director, Information Protection")
    designated_on: Date | None = fact("지정일", "Designated on", example="2023-01-02")
    executive: YesNo | None = fact(
        "사업주·대표자·임원(또는 시행령 제32조의 요건) 해당 여부", "Owner, representative or executive (or meets Decree Art 32)", example=True
    )
    reports_to: str | None = fact("보고 대상", "Reports to", example="CEO")
    duties: list[str] | None = fact(
        "수행 업무(자유 기술, 판단에 쓰이지 않음: 법 제31조의 업무는 duties_performed에 적으십시오)",
        "Duties carried out, in words (not judged: state the Art 31 duties in duties_performed)",
        example=["internal plan", "inspections", "training"],
    )
    attachment: str | None = fact("지정 근거 문서의 첨부 ID", "Attachment id of the designation record", example="cpo-designation")
    # Art 31 and Decree Art 32, read on the as-of date (issue 20): every field below is unknown when absent
    owner_by_law: YesNo | None = fact(
        "보호책임자를 지정하지 않아 법 제31조제2항에 따라 사업주 또는 대표자가 보호책임자인지"
        "(법 제31조제1항 단서: 소상공인만, 영 제32조제1항)",
        "Is no officer designated, so that the owner or representative is the officer by law (Art 31(2); only a small "
        "business may do so, Art 31(1) proviso and Decree Art 32(1))?",
        example=False,
    )
    decree_criteria: YesNo | None = fact(
        "기준일에 시행 중인 영 제32조의 기준에 해당하는 처리자인지: 2026. 9. 11.부터 제3항(연간 매출액등 1,800억원 초과로서 "
        "5만명 이상 민감정보·고유식별정보 또는 100만명 이상 개인정보 처리, 재학생 2만명 이상 대학, 상급종합병원, 공공시스템운영기관), "
        "그 전에는 제4항(연간 매출액등 1,500억원 이상 등)",
        "Does the processor meet the Decree Art 32 criteria in force on the as-of date: from 2026-09-11 ¶3 (annual revenue "
        "over KRW 180 billion with sensitive data or identifiers of 50,000+ subjects or data of 1,000,000+ subjects; "
        "universities of 20,000+ students; tertiary hospitals; public system operators), before it ¶4 (KRW 150 billion or more…)?",
        example=False,
    )
    qualified: YesNo | None = fact(
        "보호책임자가 영 별표 1의 자격을 갖추었는지(별표 1 원문은 참조 원문에 없음: 처리자가 확인한 결과)",
        "Does the officer meet the qualifications of Decree Annex 1 (its text is not among the stored official texts: "
        "the processor's own finding)?",
        example=True,
    )
    duties_performed: list[
        Literal["protection-plan", "staff-and-budget", "reporting", "regular-survey", "complaints", "internal-control",
                "training-plan", "file-protection", "privacy-policy", "resources-and-information", "destruction"]
    ] | None = fact(
        "보호책임자가 맡아 수행하는 법 제31조의 업무: protection-plan(보호 계획 수립·시행) staff-and-budget(전문 인력 관리·예산 확보, "
        "2026. 9. 11.부터) reporting(사업주·대표자·이사회에 보호 현황 보고, 2026. 9. 11.부터) regular-survey(처리 실태·관행의 정기 조사·개선) "
        "complaints(불만 처리·피해 구제) internal-control(유출·오남용 방지 내부통제시스템 구축) training-plan(교육 계획 수립·시행) "
        "file-protection(개인정보파일 보호·관리·감독) privacy-policy(처리방침 수립·변경·시행, 영 제32조) "
        "resources-and-information(인적·물적 자원 및 정보 관리, 영 제32조) destruction(목적 달성·보유기간 경과 개인정보 파기, 영 제32조)",
        "The Art 31 duties the officer is in charge of and carries out: the protection plan; staff and budget (from 2026-09-11); "
        "reporting to the owner, representative and board (from 2026-09-11); regular surveys of processing; complaints and "
        "redress; the internal control system; the training plan; protection of personal data files; and the Decree Art 32 "
        "duties (privacy policy, resources and information, destruction)",
        example=["protection-plan", "regular-survey", "complaints", "internal-control", "training-plan", "file-protection",
                 "privacy-policy", "resources-and-information", "destruction"],
    )
    information_access: YesNo | None = fact(
        "보호책임자의 개인정보 처리 관련 정보 접근 보장 여부(영 제32조제7항제1호, 2026. 9. 11. 전 제6항제1호)",
        "Is the officer's access to information on processing guaranteed (Decree Art 32(7) item 1; before 2026-09-11 ¶6 item 1)?",
        example=True,
    )
    direct_reporting: YesNo | None = fact(
        "보호 계획의 수립·시행과 결과를 정기적으로 대표자 또는 이사회에 직접 보고할 수 있는 체계가 있는지(영 제32조제7항제2호)",
        "Is there a channel for the officer to report regularly and directly to the representative or the board on the "
        "protection plan and its results (Decree Art 32(7) item 2)?",
        example=True,
    )
    resources: YesNo | None = fact(
        "보호책임자의 업무 수행에 적합한 조직체계와 인적·물적 자원이 제공되는지(영 제32조제7항제3호)",
        "Are an organisation fit for the officer's duties and staff and resources provided (Decree Art 32(7) item 3)?",
        example=True,
    )
    disadvantaged: YesNo | None = fact(
        "보호책임자가 법 제31조의 업무 수행과 관련하여 정당한 이유 없이 불이익을 받았는지",
        "Was the officer put at a disadvantage without a legitimate reason for carrying out the Art 31 duties?",
        example=False,
    )
    board_resolution: Literal["resolved", "not-resolved", "no-board"] | None = fact(
        "2026. 9. 11. 이후 지정·변경·해제 시 이사회 의결(법 제31조제3항제1호): resolved(의결함) / not-resolved(의결하지 않음) / "
        "no-board(법인이 아니어서 이사회 없음)",
        "Board resolution on a designation, change or release from 2026-09-11 (Art 31(3) item 1): resolved, not resolved, "
        "or no board (not a corporation)",
        example="resolved",
    )
    systems_outside_remit: list[str] | None = fact(
        "보호책임자가 총괄하지 않는 개인정보처리시스템 식별자(예: 다른 부서가 운영하는 네트워크 설비; 없으면 빈 목록 [])",
        "Processing systems outside the officer's remit (e.g. network infrastructure another division runs; [] if none)",
        example=[],
    )
    pipc_report_filed: YesNo | None = fact(
        "보호책임자 지정·변경·해제를 보호위원회에 신고했는지(법 제31조제3항제2호, 영 제32조제4항)",
        "Was the designation, change or release reported to the PIPC (Art 31(3) item 2, Decree Art 32(4))?",
        example=True,
    )
    pipc_reported_on: Date | None = fact("보호위원회 신고일", "Date of that report", example="2026-10-15")
    pipc_report_extended_until: Date | None = fact(
        "보호위원회가 연장한 신고 기한(영 제32조제4항 단서: 1년의 범위)", "Report deadline as extended by the PIPC (Decree Art 32(4) proviso: up to 1 year)",
    )


PROCESSOR_CONTRACT_ITEMS = Literal[
    "purpose-limit", "safeguards", "scope", "subcontracting", "access-restriction", "supervision", "liability"
]


class Processor(Strict):
    """A trustee (수탁자) the organisation entrusts with processing personal data (PIPA Art 26), e.g. its cloud provider."""

    id: str = required("수탁자 식별자", "Trustee identifier", example="proc-cloud")
    name: str | None = fact("수탁자 명칭", "Trustee's name", example="Example Cloud Korea Ltd.")
    tasks: list[str] | None = fact(
        "위탁하는 업무의 내용", "The processing tasks entrusted", example=["hosting of the shop database", "backups"]
    )
    contract_on: Date | None = fact(
        "위탁 문서(계약서 등) 작성일(법 제26조제1항: 문서로 하여야 함)", "Date of the written entrustment (contract): Art 26(1) requires a document",
        example="2024-03-01",
    )
    contract_items: list[PROCESSOR_CONTRACT_ITEMS] | None = fact(
        "위탁 문서에 포함된 사항: purpose-limit(위탁업무 수행 목적 외 처리 금지, 법 제26조제1항제1호) "
        "safeguards(기술적·관리적 보호조치, 제2호) scope(위탁업무의 목적 및 범위, 영 제28조제1항제1호) "
        "subcontracting(재위탁 제한, 제2호) access-restriction(접근 제한 등 안전성 확보 조치, 제3호) "
        "supervision(관리 현황 점검 등 감독, 제4호) liability(의무 위반 시 손해배상 등 책임, 제5호)",
        "What the document states: purpose limitation (Art 26(1) item 1), technical and managerial safeguards (item 2), and "
        "the Decree Art 28(1) items: purpose and scope, limits on re-entrustment, access restriction and other safety "
        "measures, supervision (inspection of the data held), liability for breach",
        example=["purpose-limit", "safeguards", "scope", "subcontracting", "access-restriction", "supervision", "liability"],
    )
    disclosed: YesNo | None = fact(
        "위탁하는 업무의 내용과 수탁자를 정보주체가 언제든지 쉽게 확인할 수 있도록 공개하는지(법 제26조제2항; "
        "영 제28조제2항: 홈페이지에 지속 게재, 불가하면 제3항의 방법)",
        "Are the tasks and the trustee disclosed so that subjects can check them at any time (Art 26(2); Decree Art 28(2): "
        "posted on the website continuously, or by a ¶3 means where that is impossible)?",
        example=True,
    )
    trained_on: list[Date] | None = fact(
        "수탁자 교육 실시일 목록(법 제26조제4항)", "Dates the trustee was trained (Art 26(4))", example=["2025-04-10"]
    )
    supervised_on: list[Date] | None = fact(
        "수탁자의 처리 현황 점검 등 감독 실시일 목록(법 제26조제4항, 영 제28조제6항)",
        "Dates the trustee's processing was inspected or otherwise supervised (Art 26(4), Decree Art 28(6))",
        example=["2025-09-15"],
    )
    subprocessors: list[str] | None = fact(
        "수탁자가 업무를 다시 위탁한 제3자(재수탁자) 목록(없으면 빈 목록)", "Third parties the trustee re-entrusted the work to (empty if none)",
        example=[],
    )
    subprocessors_disclosed: YesNo | None = fact(
        "재수탁자도 공개하는지(법 제26조제2항의 '수탁자'에 포함)", "Are the re-entrusted third parties disclosed too (they are '수탁자' under Art 26(2))?",
        example=True,
    )
    subcontracting_consented: YesNo | None = fact(
        "수탁자가 다시 위탁하기 전에 위탁자(이 기관)의 동의를 받았는지(법 제26조제6항)",
        "Did the trustee obtain the organisation's consent before re-entrusting (Art 26(6))?",
        example=True,
    )
    beyond_scope_use: YesNo | None = fact(
        "수탁자가 위탁받은 업무 범위를 초과하여 개인정보를 이용하거나 제3자에게 제공한 사실이 있는지(법 제26조제5항)",
        "Did the trustee use the data beyond the entrusted tasks or provide it to a third party (Art 26(5))?",
        example=False,
    )
    attachment: str | None = fact("위탁 문서의 첨부 ID", "Attachment id of the entrustment document", example="cloud-dpa")


class ObservedRef(Strict):
    """An observed-facts document written by ``pipa-audit import`` (a tool's output, with provenance)."""

    path: str = required("관찰 사실 파일 경로(pipa-audit import 결과, 상대 경로)", "Observed-facts JSON written by pipa-audit import, relative to this file",
                         example="evidence/observed/iam.json")
    sha256: str | None = fact("SHA-256(기재 시 대조)", "Expected SHA-256 (checked when given)", pattern=r"^[0-9a-fA-F]{64}$")


class Facts(Strict):
    schema_ref: str | None = Field(
        None, alias="$schema", description="JSON Schema of this file, for editors (pipa-audit schema facts); not a fact",
        json_schema_extra={"ko": "편집기용 JSON 스키마 경로(점검에 쓰이지 않음)", "absent": "unknown"},
    )
    as_of: Date = required("점검 기준일", "Audit as-of date: every duty is judged on this date", example="2025-11-30")
    period_start: Date | None = fact("점검 대상 기간 시작일", "Start of the audited period", example="2024-12-01")
    auditor: str | None = fact("점검자", "Auditor", example="Internal audit team")
    scope: str | None = fact("점검 범위 설명", "Audit scope, in words", example="All personal-information processing systems")
    not_examined: list[str] | None = fact(
        "점검하지 않은 사항", "What was not examined", example=["Outsourced call-centre systems"]
    )
    organization: Organization = required("기관 개요", "The organisation")
    systems: list[System] | None = fact("개인정보처리시스템 목록", "Personal-information processing systems")
    handlers: list[Handler] | None = fact("개인정보취급자 목록", "Personal-information handlers")
    accounts: list[Account] | None = fact("개인정보처리시스템 계정 목록", "Accounts on the processing systems")
    credentials: list[Credential] | None = fact("인증수단·키 목록", "Credentials and keys")
    secrets: list[Secret] | None = fact(
        "서버 비밀번호·키·토큰의 저장 위치와 방식(없으면 빈 목록)", "Where server passwords, keys and tokens are stored, and how (empty if none)"
    )
    data_stores: list[DataStore] | None = fact(
        "개인정보처리시스템 밖에서 찾은 개인정보 파일 저장소(공유 폴더·파일 서버 등; 점검에서 없으면 빈 목록 [])",
        "Personal-data files found outside the processing systems (shared drives, file servers…); state [] when the search found none",
    )
    privacy_officer: PrivacyOfficer | None = fact("개인정보 보호책임자(법 제31조)", "Chief privacy officer (PIPA Art 31)")
    processors: list[Processor] | None = fact(
        "개인정보 처리 업무의 수탁자 목록(법 제26조; 위탁하지 않으면 빈 목록 [])",
        "Trustees entrusted with processing personal data (PIPA Art 26; state [] when none)",
    )
    password_policy: PasswordPolicy | None = fact("비밀번호·인증 실패 정책", "Password and lockout policy")
    endpoints: Endpoints | None = fact("업무용 컴퓨터·모바일 기기", "Handlers' computers and mobile devices")
    disaster: Disaster | None = fact("재해·재난 대비", "Disaster preparedness")
    destruction: Destruction | None = fact("개인정보 파기", "Destruction of personal data")
    internal_plan: InternalPlan | None = fact("내부 관리계획", "Internal management plan")
    working_calendar: WorkingCalendar | None = fact(
        "기관의 근무 달력(쉬는 날·근무한 공휴일·근무 시간): 접속기록 분석의 '근무시간 외'를 정함. 생략 시 대한민국 공휴일 달력과 09:00–18:00",
        "The organisation's working calendar (its own days off, public holidays it worked, working hours): what "
        "off-hours means in the access-record analysis. Omitted: the Korean public calendar and 09:00–18:00",
        absent="default",
    )
    access_rights_records: AccessRightsRecords | None = fact(
        "접근 권한 부여·변경·말소 내역", "Records of access grants, changes and revocations"
    )
    incidents: list[Incident] | None = fact(
        "개인정보 유출등 사고 목록(없으면 빈 목록 [])", "Leaks / incidents (state [] when there were none)"
    )
    attachments: list[Attachment] | None = fact("증적 첨부 목록", "Evidence attachments")
    attestations: list[Attestation] | None = fact(
        "확인서(사실로 확인할 수 없는 의무)", "Attestations for duties no fact can show (named attester, date, document)"
    )
    remediation_plan: list[RemediationItem] | None = fact("개선 계획", "Remediation plan: actions, owners, due dates")
    observed: list[ObservedRef] | None = fact(
        "도구 출력에서 가져온 관찰 사실(pipa-audit import): 기재 사실과 따로 두고, 다르면 해당 항목은 미흡",
        "Observed facts imported from tools' outputs (pipa-audit import): kept apart from what is stated; where they disagree the control fails",
    )


# ---------------------------------------------------------------------------- to evaluation form


def _plan(model: type[BaseModel]) -> tuple[tuple[str, ...], tuple[tuple[str, type[BaseModel], bool], ...]]:
    """Per model: fields whose absence means none, and nested models to recurse into."""
    none_fields, nested = [], []
    for name, f in model.model_fields.items():
        extra = f.json_schema_extra or {}
        if isinstance(extra, dict) and extra.get("absent") == "none":
            none_fields.append(name)
        t = type_of_annotation(f.annotation)
        if t.kind == "object" and t.model is not None:
            nested.append((name, t.model, False))
        elif t.kind == "list" and t.elem is not None and t.elem.kind == "object" and t.elem.model is not None:
            nested.append((name, t.elem.model, True))
    return tuple(none_fields), tuple(nested)


_PLANS: dict[type, Any] = {}


def _settle(row: dict, none_fields: tuple[str, ...]) -> None:
    """Fields whose absence means "did not happen" become None when absent; stated as 'unknown', they go."""
    _settler(none_fields)((row,))


@functools.cache
def _settler(none_fields: tuple[str, ...]):
    """``_settle`` over a list of rows, as one generated loop with the fields written out (the five such fields of a
    million handlers were 5 M iterations of a loop over their names)."""
    lines = ["def settle(rows):", "    for r in rows:", "        g = r.get"]
    for name in none_fields:
        lines += [f"        v = g({name!r})", "        if v is None:", f"            r[{name!r}] = None",
                  "        elif v.__class__ is str and v == 'unknown':", f"            del r[{name!r}]"]
    space: dict[str, Any] = {}
    exec("\n".join(lines), space)  # noqa: S102 - names are repr()'d
    return space["settle"]


def _normalise(obj: dict, model: type[BaseModel]) -> dict:
    """``obj`` is dumped without None values (stated as null = unknown, same as absent); then each model's
    "did not happen" fields are settled, the big lists (handlers, accounts, keys) in one flat loop."""
    none_fields, nested = _PLANS.get(model) or _PLANS.setdefault(model, _plan(model))
    _settle(obj, none_fields)
    for key, sub, is_list in nested:
        value = obj.get(key)
        if value is None:
            continue
        if not is_list:
            _normalise(value, sub)
            continue
        sub_none, sub_nested = _PLANS.get(sub) or _PLANS.setdefault(sub, _plan(sub))
        if sub_nested:
            for row in value:
                _normalise(row, sub)
        else:
            _settler(sub_none)(value)
    return obj


def to_evaluation_dict(facts: Facts, release: bool = False, keep_structs: bool = False) -> dict:
    """Plain dicts for the evaluator: unknown facts absent, 'none' events present as None; an incident's
    clock start, first notice and notice contents taken from its awareness and notice lists when not stated.

    ``release``: the caller needs ``facts`` no more, so the rows of its long lists are dumped a chunk at a time
    and their model instances dropped as they go (at 1M rows the models and the dicts together were the peak).
    ``keep_structs``: the lists of ``STRUCT_LISTS`` that ``compliance.row_decoder`` decoded stay its structs, which
    the evaluator reads as it reads the dicts (``expr.read_as_structs``; ``struct_lists_as_dicts`` undoes it)."""
    from compliance.row_decoder import is_struct_list

    structs = {name: row for name, row in _row_lists().items() if is_struct_list(getattr(facts, name))}
    kept = {name: getattr(facts, name) for name in structs if keep_structs and name in STRUCT_LISTS}
    for name in kept:
        del structs[name]
    long = {name: row for name, row in _row_lists().items()
            if release and name not in structs and name not in kept and len(getattr(facts, name) or ()) > loading.CHUNK_ROWS}
    root = _normalise(facts.model_dump(exclude_unset=True, exclude_none=True, exclude={"schema_ref", *long, *structs, *kept}), Facts)
    for name, row in long.items():
        root[name] = _release_rows(getattr(facts, name), row)
    for name, row in structs.items():  # rows compliance.row_decoder took: the same dicts pydantic's dump gives
        root[name] = _evaluation_dicts(getattr(facts, name), row)
        if release:
            facts.__dict__[name] = None  # the structs go; their values live on in the dicts
    root |= kept
    for inc in root.get("incidents") or []:
        starts = [a["at"] for a in inc.get("awareness") or [] if a.get("starts_clock")]
        if "aware_at" not in inc and len(starts) == 1:
            inc["aware_at"] = starts[0]
        for kind, field in (("confirmed", "subjects_notified_at"), ("possible", "possible_leak_notified_at")):
            sent = sorted(n["at"] for n in inc.get("notices") or [] if n.get("kind") == kind)
            if sent and inc.get(field) is None:
                inc[field] = sent[0]
        confirmed = [n for n in inc.get("notices") or [] if n.get("kind") == "confirmed"]
        if confirmed and "notice_contents" not in inc and all("contents" in n for n in confirmed):
            # Decree Art 39(2): known items first, the rest as confirmed — together they make the notice
            inc["notice_contents"] = sorted({c for n in confirmed for c in n["contents"]})
        possible = [a["at"] for a in inc.get("awareness") or [] if a.get("kind") == "possible-leak"]
        if possible and inc.get("possible_leak_aware_at") is None:
            inc["possible_leak_aware_at"] = min(possible)
    return root


def struct_lists_as_dicts(root: dict) -> None:
    """Turn the struct lists ``to_evaluation_dict(keep_structs=True)`` kept into the evaluation form's dicts (for
    whatever changes rows in place: observed facts joining the stated ones)."""
    from compliance.row_decoder import is_struct_list

    for name, row in STRUCT_LISTS.items():
        if is_struct_list(root.get(name)):
            root[name] = _evaluation_dicts(root[name], row)


def evaluation_row(row) -> dict:
    """One row as the evaluation form has it, a struct's or a dict already."""
    return row if row.__class__ is dict else _evaluation_dicts([row], struct_model(row.__class__))[0]


def struct_model(cls: type) -> type[BaseModel]:
    """The row model of a struct class of ``STRUCT_LISTS`` (the decoder names each struct after its model)."""
    return next(m for m in STRUCT_LISTS.values() if m.__name__ == cls.__name__)


def _evaluation_dicts(structs: list, model: type[BaseModel]) -> list[dict]:
    """``compliance.row_decoder`` structs of ``model`` as the dicts pydantic's dump gives, settled (one generated
    loop)."""
    from compliance.row_decoder import evaluation_rows

    rows = evaluation_rows(structs)
    _settler((_PLANS.get(model) or _PLANS.setdefault(model, _plan(model)))[0])(rows)
    return rows


STRUCT_LISTS: dict[str, type[BaseModel]] = {"handlers": Handler, "accounts": Account, "credentials": Credential}
"""The long lists the evaluator may read as ``compliance.row_decoder`` structs (``to_evaluation_dict(keep_structs)``)."""
expr.rows_may_be_structs({m: frozenset(_plan(m)[0]) for m in STRUCT_LISTS.values()})


@functools.cache
def _row_lists() -> dict[str, type[BaseModel]]:
    """Top-level fields of Facts holding a list of rows: name -> the row model."""
    return {key: sub for key, sub, is_list in _plan(Facts)[1] if is_list}


def _release_rows(rows: list, model: type[BaseModel]) -> list[dict]:
    adapter = loading.list_adapter(model)
    sub_none, sub_nested = _PLANS.get(model) or _PLANS.setdefault(model, _plan(model))
    out: list[dict] = []
    for start in range(0, len(rows), loading.CHUNK_ROWS):
        end = min(start + loading.CHUNK_ROWS, len(rows))
        dumped = adapter.dump_python(rows[start:end], exclude_unset=True, exclude_none=True)
        rows[start:end] = [None] * (end - start)  # the instances go; their values live on in the dicts
        if sub_nested:
            for row in dumped:
                _normalise(row, model)
        else:
            _settler(sub_none)(dumped)
        out += dumped
    return out
