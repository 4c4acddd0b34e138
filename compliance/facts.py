"""The facts model: what an organisation states about its systems, as a compliance officer fills it in.

Every field carries a Korean and English description (used by ``pipa-audit init`` and the
JSON Schema for editors). Unknown keys are rejected so a typo is an error, not a silent gap.

Absence has two meanings, fixed per field:
- most facts are *unknown* when absent (or null): the checks that need them give
  ``insufficient-evidence``;
- event fields marked ``absent="none"`` (``left_on``, ``revoked_on``, ``reported_to_pipc_at``…)
  mean "did not happen" when absent or null, so a current employee needs no ``left_on``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from compliance.expr import type_of_annotation


def fact(ko: str, en: str, *, absent: Literal["unknown", "none"] = "unknown", example: Any = None, **kw):
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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=4096)


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
    subjects: int | None = fact(
        "보유한 개인정보의 정보주체 수(전체 총합)", "Number of data subjects whose data is held", example=120000, ge=0
    )
    ict_service_provider: bool | None = fact(
        "정보통신서비스 제공자 해당 여부", "Is the organisation an ICT service provider?", example=True
    )
    key_telecom_operator: bool | None = fact(
        "「전기통신사업법」 제6조제1항의 기간통신사업자 해당 여부",
        "Registered/declared key telecommunications operator (Telecommunications Business Act Art 6(1))",
        example=False,
    )
    unique_identifiers: bool | None = fact(
        "고유식별정보(주민등록번호·여권번호·운전면허번호·외국인등록번호) 처리 여부",
        "Processes unique identifiers (RRN, passport, driver's licence, alien registration no.)",
        example=False,
    )
    sensitive_data: bool | None = fact("민감정보 처리 여부", "Processes sensitive data", example=False)
    daily_users_avg: int | None = fact(
        "전년도 말 기준 직전 3개월간 일일평균 저장·관리 이용자 수",
        "Daily average number of users stored over the last 3 months of the previous year",
        example=50000,
        ge=0,
    )
    revenue_krw: int | None = fact("직전 사업연도 매출액(원)", "Revenue of the last business year, KRW", ge=0)
    public_system_operator: bool | None = fact(
        "공공시스템운영기관(고시 제14조) 해당 여부", "Operator of a designated public system (Notice Art 14)", example=False
    )
    public_system_user_agency: bool | None = fact(
        "공공시스템이용기관으로서 소관 취급자의 계정·권한을 직접 관리하는지 여부(고시 제16조제5항)",
        "A public system user agency that issues accounts and manages access for its own handlers (Notice Art 16(5))",
        example=False,
    )
    privacy_officer: str | None = fact("개인정보 보호책임자(CPO) 성명", "Chief privacy officer (CPO)", example="Kim CPO")


class RemoteAccess(Strict):
    allowed: bool | None = fact(
        "개인정보취급자의 외부(정보통신망) 접속 허용 여부", "Can handlers reach the system from outside?", example=True
    )
    methods: list[Literal["password", "otp", "certificate", "security-token", "vpn", "biometric"]] | None = fact(
        "외부 접속 시 적용하는 인증·접속 수단 목록",
        "Authentication / access means applied to access from outside",
        example=["vpn", "otp"],
    )


class AccessLog(Strict):
    retention_days: int | None = fact(
        "접속기록 보관 기간(일)", "How long handlers' access records are kept, in days", example=730, ge=0
    )
    tamper_protected: bool | None = fact(
        "접속기록 위·변조 방지 보관 조치(WORM, 별도 저장 등) 여부",
        "Are access records protected against forgery/alteration (WORM, separate store)?",
        example=True,
    )
    reviews: list[dt.date] | None = fact(
        "접속기록 점검 일자 목록(월 1회 이상)", "Dates on which access records were inspected", example=["2025-10-31"]
    )
    downloads_reason_checked: bool | None = fact(
        "개인정보 다운로드 확인 시 사유 확인 여부",
        "When a download of personal data is found, is its reason confirmed?",
        example=True,
    )


class System(Strict):
    id: str = required("개인정보처리시스템 식별자", "Identifier of the processing system", example="sys-shop")
    name: str | None = fact("시스템 명칭", "System name", example="Shop database")
    operating_since: dt.date | None = fact("운영 개시일", "In operation since", example="2019-01-01")
    subjects: int | None = fact(
        "해당 시스템이 처리하는 정보주체 수", "Data subjects whose data this system processes", example=120000, ge=0
    )
    user_data: bool | None = fact(
        "이용자(정보통신서비스 이용자)의 개인정보 처리 여부", "Does it process users' data (ICT service users)?", example=True
    )
    unique_identifiers: bool | None = fact(
        "고유식별정보 처리 여부", "Does it process unique identifiers?", example=False
    )
    sensitive_data: bool | None = fact("민감정보 처리 여부", "Does it process sensitive data?", example=False)
    art7_data: bool | None = fact(
        "고시 제7조제1항·제2항의 정보(비밀번호·생체인식정보 등 인증정보, 이용자의 주민등록번호·여권번호·운전면허번호·외국인등록번호·신용카드번호·계좌번호·생체인식정보) 보유 여부",
        "Holds Notice Art 7(1)-(2) data: authentication data, or users' RRN, passport, licence, alien-registration, card or account numbers, biometrics",
        example=True,
    )
    public_system: bool | None = fact(
        "보호위원회가 지정한 공공시스템 해당 여부(고시 제14조)", "A public system designated by the PIPC (Notice Art 14)", example=False
    )
    vulnerability_checked_on: list[dt.date] | None = fact(
        "취약점 점검 실시일 목록(공공시스템, 고시 제18조제1항)", "Dates of vulnerability checks (public systems, Notice Art 18(1))",
        example=["2027-02-01"],
    )
    penetration_tested_on: list[dt.date] | None = fact(
        "외부 전문기관·전문가 침투테스트 실시일 목록(고시 제18조제2항)", "Dates of external penetration tests (Notice Art 18(2))",
        example=["2027-03-15"],
    )
    ip_restricted: bool | None = fact(
        "접속 권한을 IP 주소 등으로 제한하는지 여부", "Is access restricted by IP address etc.?", example=True
    )
    ip_leak_detection: bool | None = fact(
        "접속 IP 주소 등을 분석하여 유출 시도를 탐지·대응하는지 여부",
        "Are accessing IP addresses analysed to detect and respond to leak attempts?",
        example=True,
    )
    remote_access: RemoteAccess | None = fact("외부 접속", "Access from outside")
    session_timeout_minutes: int | None = fact(
        "일정 시간 미사용 시 자동 접속 차단 시간(분)", "Idle minutes before the session is cut off", example=30, ge=0
    )
    password_storage: Literal["one-way-hash", "reversible-encryption", "plaintext"] | None = fact(
        "비밀번호 저장 방식", "How passwords are stored", example="one-way-hash"
    )
    identifiers_encrypted: bool | None = fact(
        "주민등록번호·여권번호·운전면허번호·외국인등록번호·신용카드번호·계좌번호·생체인식정보의 암호화 저장 여부",
        "Are RRN, passport, licence, alien reg., card, account numbers and biometrics encrypted at rest?",
        example=True,
    )
    web_exposure_checked: bool | None = fact(
        "홈페이지·P2P·공유설정 등을 통한 노출·유출 방지 조치 여부",
        "Are disclosure and leaks via web pages, P2P and sharing settings prevented on this system?",
        example=True,
    )
    transit_encrypted: bool | None = fact(
        "인터넷망 구간 송·수신 시 암호화(TLS 등) 여부", "Is personal data encrypted in transit over the internet?",
        example=True,
    )
    access_log: AccessLog | None = fact("접속기록", "Access records")


class Endpoints(Strict):
    """Handlers' computers and work mobile devices, stated for the organisation as a whole."""

    p2p_blocked: bool | None = fact("업무용 컴퓨터의 P2P 차단 여부", "Is P2P blocked on handlers' computers?", example=True)
    sharing_restricted: bool | None = fact(
        "공유설정 제한 여부", "Are file-sharing settings restricted on handlers' computers?", example=True
    )
    mobile_devices_used: bool | None = fact("업무용 모바일 기기 사용 여부", "Are work mobile devices used?", example=True)
    mobile_device_lock: bool | None = fact(
        "업무용 모바일 기기의 비밀번호 설정 등 분실·도난 대비 보호조치 여부",
        "Are work mobile devices protected (passcode etc.) against loss and theft?",
        example=True,
    )
    local_storage_encrypted: bool | None = fact(
        "취급자 컴퓨터·모바일 기기·보조저장매체 저장 시 암호화 여부",
        "Is personal data encrypted when stored on handlers' computers, mobile devices and removable media?",
        example=True,
    )
    internet_cut_off: bool | None = fact(
        "개인정보 다운로드·파기·권한설정이 가능한 취급자 컴퓨터의 인터넷망 차단 여부",
        "Are computers that can download or destroy personal data, or set access rights, cut off from the internet?",
        example=True,
    )
    malware_protection: bool | None = fact(
        "백신 등 보안 프로그램 설치·운영 여부", "Is anti-malware software installed and running?", example=True
    )
    malware_auto_update: bool | None = fact(
        "보안 프로그램 자동 업데이트 또는 일 1회 이상 업데이트 여부",
        "Is it updated automatically, or at least daily?",
        example=True,
    )
    max_patch_lag_days: int | None = fact(
        "보안 업데이트 공지 후 적용까지 걸린 최대 일수", "Longest delay, in days, between a security update notice and its application",
        example=7, ge=0,
    )


class Disaster(Strict):
    manual_reviewed_on: dt.date | None = fact(
        "재해·재난 위기대응 매뉴얼 최근 점검일(없으면 생략)", "Last review of the disaster response manual (omit if never)",
        absent="none", example="2025-05-10",
    )
    backup_recovery_plan: bool | None = fact(
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
    granted_on: dt.date | None = fact("접근 권한 부여일", "Date access was granted", example="2021-03-02")
    left_on: dt.date | None = fact(
        "퇴직일(퇴직하지 않았으면 생략)", "Departure date (omit if still employed)", absent="none"
    )
    duties_changed_on: dt.date | None = fact(
        "업무 변경일(없으면 생략)", "Date the handler's duties changed (omit if none)", absent="none"
    )
    access_changed_on: dt.date | None = fact(
        "업무 변경에 따른 접근 권한 변경일(없으면 생략)", "Date access was changed after a change of duties", absent="none"
    )
    access_revoked_on: dt.date | None = fact(
        "접근 권한 말소일(말소하지 않았으면 생략)", "Date access was revoked (omit if not revoked)", absent="none"
    )
    trained_on: dt.date | None = fact(
        "최근 개인정보 보호 교육 이수일(없으면 생략)", "Last privacy training completed (omit if never)", absent="none",
        example="2025-03-20",
    )
    can_set_access_rights: bool | None = fact(
        "개인정보처리시스템 접근 권한 설정 가능 여부(고시 제6조의2제1항제1호)", "Can set access rights to the systems (Notice Art 6-2(1) item 1)",
        example=False,
    )
    can_download: bool | None = fact(
        "개인정보 다운로드 가능 여부(제6조의2제1항제2호)", "Can download personal data from the systems (Art 6-2(1) item 2)", example=True
    )
    can_destroy: bool | None = fact(
        "개인정보 파기 가능 여부(제6조의2제1항제2호)", "Can destroy personal data in the systems (Art 6-2(1) item 2)", example=False
    )
    internet_cut_off: bool | None = fact(
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
    issued_on: dt.date | None = fact("발급일", "Issued on", example="2022-01-10")
    revoked_on: dt.date | None = fact("폐기·말소일(없으면 생략)", "Revoked on (omit if not revoked)", absent="none")
    last_used_at: AwareDatetime | None = fact(
        "마지막 사용 일시(시간대 포함)", "Last use, with timezone (omit if never used)", absent="none"
    )
    last_used_from: str | None = fact(
        "마지막 사용 접속지(IP·국가)", "Where it was last used from (IP / country)", absent="none"
    )


class PasswordPolicy(Strict):
    min_length: int | None = fact("비밀번호 최소 길이", "Minimum password length", example=10, ge=0)
    min_char_classes: int | None = fact(
        "필수 문자 종류 수(영대문자·영소문자·숫자·특수문자 중)",
        "Character classes required (upper, lower, digit, symbol)",
        example=2,
        ge=0,
        le=4,
    )
    lockout_after_failures: int | None = fact(
        "계정 잠금까지 허용하는 인증 실패 횟수(잠금이 없으면 0)",
        "Failed attempts before access is restricted (0 = no lockout)",
        example=5,
        ge=0,
    )


class ReviewRule(Strict):
    cycle_days: int | None = fact("점검 주기(일)", "Review cycle, in days", example=30, ge=1)
    method: str | None = fact("점검 방법", "How records and downloads are reviewed", example="Automated anomaly report reviewed by the CPO")
    follow_up: str | None = fact("사후조치 절차", "Follow-up procedure", example="Handlers explain flagged downloads within 5 days")


class RiskAnalysis(Strict):
    done_on: dt.date | None = fact("위험 분석 실시일", "Date of the risk analysis", example="2025-10-01")
    outcome: Literal["significantly-low", "mitigated", "not-low"] | None = fact(
        "결과: significantly-low(현저히 낮음) / mitigated(감소 보호조치 적용) / not-low",
        "Outcome: risk significantly low, mitigated by protective measures, or not low",
        example="mitigated",
    )
    measures: list[str] | None = fact(
        "적용한 보호조치(별표 예시 참고)", "Protective measures applied (see the notice's annex)", example=["download caps", "masking"]
    )


class InternalPlan(Strict):
    established_on: dt.date | None = fact("내부 관리계획 수립일", "Internal management plan established on", example="2023-10-01")
    approved_by: str | None = fact("내부 의사결정 절차 승인자", "Approved by (internal decision procedure)", example="CEO")
    last_revised_on: dt.date | None = fact("최근 개정일", "Last revised on", absent="none")
    revision_history: bool | None = fact(
        "중요 변경 반영 및 수정 이력 관리 여부", "Are material changes reflected and a revision history kept?", example=True
    )
    last_inspected_on: dt.date | None = fact(
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


class AccessRightsRecords(Strict):
    retention_days: int | None = fact(
        "접근 권한 부여·변경·말소 내역 보관 기간(일)", "Retention of grant/change/revocation records, days", example=1095,
        ge=0,
    )
    records_since: dt.date | None = fact(
        "보관 중인 가장 오래된 내역의 일자", "Date of the oldest record still kept", example="2020-01-01"
    )
    reviews: list[dt.date] | None = fact(
        "권한 부여·변경·말소 내역 점검일 목록(공공시스템: 반기별 1회 이상)", "Dates the records were reviewed (public systems: every half year)",
        example=["2025-06-30"],
    )


class Incident(Strict):
    id: str = required("사고 식별자", "Incident identifier", example="inc-1")
    began_on: dt.date | None = fact("유출등 발생(개시) 추정일", "Date the leak began (estimate)", example="2025-06-24")
    aware_at: AwareDatetime | None = fact(
        "유출등 사실을 알게 된 일시(시간대 포함)", "When the organisation became aware, with timezone",
        example="2025-11-18T09:00:00+09:00",
    )
    contained_at: AwareDatetime | None = fact("유출 차단 일시", "When the leak was contained", absent="none")
    subjects_affected: int | None = fact("유출된 정보주체 수", "Data subjects affected", example=4500, ge=0)
    items: list[str] | None = fact("유출된 개인정보 항목", "Items of personal data leaked", example=["name", "email"])
    sensitive_or_unique: bool | None = fact(
        "민감정보 또는 고유식별정보 유출 여부", "Were sensitive data or unique identifiers leaked?", example=False
    )
    unlawful_external_access: bool | None = fact(
        "외부로부터의 불법적인 접근에 의한 유출 여부",
        "Did the leak come from unlawful access from outside to the system or handlers' devices?",
        example=True,
    )
    reported_to_pipc_at: AwareDatetime | None = fact(
        "개인정보보호위원회 또는 한국인터넷진흥원 신고 일시(신고하지 않았으면 생략)",
        "When it was reported to the PIPC or KISA (omit if not reported)",
        absent="none",
    )
    subjects_notified_at: AwareDatetime | None = fact(
        "정보주체 통지 일시(통지하지 않았으면 생략)", "When the data subjects were notified (omit if not)", absent="none"
    )
    notice_contents: list[
        Literal["items", "when-how", "self-help", "response", "contact", "legal-rights", "decree-items"]
    ] | None = fact(
        "통지에 포함한 사항: items(항목) when-how(시점·경위) self-help(피해 최소화 방법) response(대응조치·구제절차) "
        "contact(담당부서·연락처) legal-rights(손해배상·분쟁조정 등 법적 권리, 2026. 9. 11.부터) decree-items(대통령령으로 정하는 사항)",
        "What the notice stated: items, when-how, self-help, response, contact, legal-rights and decree-items (the last two from 2026-09-11)",
        example=["items", "when-how", "self-help", "response", "contact"],
    )


    possible_leak_aware_at: AwareDatetime | None = fact(
        "유출등의 가능성을 알게 된 일시(영 제39조의2제1항; 없으면 생략)", "When the possibility of a leak became known (Decree Art 39-2(1); omit if none)",
        absent="none",
    )
    possible_leak_notified_at: AwareDatetime | None = fact(
        "유출등 가능성 통지 일시(법 제34조제2항; 통지하지 않았으면 생략)", "When subjects were told of the possible leak (Art 34(2); omit if not)",
        absent="none",
    )
    retrieval_or_deletion_attempted: bool | None = fact(
        "유출등이 된 개인정보의 회수·삭제 등 확산 방지 조치 여부", "Was retrieval or deletion of the leaked data attempted?", example=True
    )
    risk_significantly_lowered: bool | None = fact(
        "회수·삭제 등으로 정보주체의 권익 침해 가능성이 현저히 낮아졌는지(영 제40조제1항 단서)",
        "Did retrieval or deletion significantly lower the risk to subjects (Decree Art 40(1) proviso)?", example=False,
    )
    aggravating_grounds: list[Literal["repeat-within-3-years", "intent-or-gross-negligence", "corrective-order-ignored"]] | None = fact(
        "법 제64조의2제2항의 가중 사유로 확인된 것(없으면 빈 목록)", "Aggravating grounds of Art 64-2(2) established (empty if none)",
        example=[],
    )


class Attachment(Strict):
    id: str = required("첨부 식별자", "Attachment identifier", example="internal-plan")
    path: str = required(
        "증적 파일 경로(증적 파일이 있는 폴더 기준 상대 경로)", "Path relative to the evidence file's folder",
        example="evidence/internal-plan.pdf",
    )
    kind: str = required("증적 종류", "Kind of evidence", example="internal-management-plan")
    sha256: str | None = fact("SHA-256(기재 시 대조)", "Expected SHA-256 (checked when given)", pattern=r"^[0-9a-fA-F]{64}$")
    dated: dt.date | None = fact("문서 작성·추출 일자", "Date of the document or export", example="2025-11-20")
    description: str | None = fact("설명", "Description")


class Attestation(Strict):
    """A named person's statement that a duty no fact can show (physical access, training…) is met."""

    control: str = required("대상 항목 ID", "Control id attested", example="notice/10.1")
    attester: str | None = fact("확인자 성명", "Name of the attester", example="Choi Facilities Manager")
    role: str | None = fact("확인자 직위", "Attester's role", example="Facilities manager")
    date: dt.date | None = fact("확인 일자", "Date of the attestation", example="2025-10-15")
    attachment: str | None = fact("근거 문서의 첨부 ID", "Attachment id of the supporting document", example="dc-access-log")
    met: bool | None = fact(
        "의무 이행 여부(미이행이면 false)", "Is the duty met? (false states a gap)", example=True
    )
    statement: str | None = fact("확인 내용", "What was checked", example="Entry to the server room is badge-controlled and logged")


class RemediationItem(Strict):
    control: str = required("개선 대상 항목 ID", "Control id the action answers", example="notice/5.2")
    action: str = required("개선 조치", "Action", example="Revoke leavers' keys the same day, automatically")
    owner: str | None = fact("담당자", "Owner", example="Head of IAM")
    due: dt.date | None = fact("완료 예정일", "Due date", example="2026-01-31")
    status: Literal["planned", "in-progress", "done"] | None = fact("진행 상태", "Status", example="planned")


class Facts(Strict):
    as_of: dt.date = required("점검 기준일", "Audit as-of date: every duty is judged on this date", example="2025-11-30")
    period_start: dt.date | None = fact("점검 대상 기간 시작일", "Start of the audited period", example="2024-12-01")
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
    password_policy: PasswordPolicy | None = fact("비밀번호·인증 실패 정책", "Password and lockout policy")
    endpoints: Endpoints | None = fact("업무용 컴퓨터·모바일 기기", "Handlers' computers and mobile devices")
    disaster: Disaster | None = fact("재해·재난 대비", "Disaster preparedness")
    destruction: Destruction | None = fact("개인정보 파기", "Destruction of personal data")
    internal_plan: InternalPlan | None = fact("내부 관리계획", "Internal management plan")
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


def _normalise(obj: dict, model: type[BaseModel]) -> dict:
    plan = _PLANS.get(model) or _PLANS.setdefault(model, _plan(model))
    none_fields, nested = plan
    for key in [k for k, v in obj.items() if v is None and k not in none_fields]:
        del obj[key]  # stated as null = unknown, same as absent
    for key in none_fields:
        obj.setdefault(key, None)
    for key, sub, is_list in nested:
        value = obj.get(key)
        if value is None:
            continue
        if is_list:
            for x in value:
                _normalise(x, sub)
        else:
            _normalise(value, sub)
    return obj


def to_evaluation_dict(facts: Facts) -> dict:
    """Plain dicts for the evaluator: unknown facts absent, 'none' events present as None."""
    return _normalise(facts.model_dump(exclude_unset=True), Facts)
