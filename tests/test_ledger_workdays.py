"""Deadlines in working days across 春节 / 国庆 with 调休 make-up days, and years the library lacks.

Expected dates are worked out by hand from the State Council holiday notices:
2025: 春节 1/28–2/4 off, make-up workdays Sun 1/26 and Sat 2/8; 国庆+中秋 10/1–10/8 off, make-up Sun 9/28, Sat 10/11.
2026: 春节 2/15–2/23 off, make-up Sat 2/14 and Sat 2/28; 中秋 9/25–9/27 off; 国庆 10/1–10/7 off,
make-up Sun 9/20 and Sat 10/10.
"""
import logging
from datetime import date

import pytest

from huiqi.errors import Invalid
from huiqi.settings import Settings
from ledger import workdays
from ledger.problems import deadline_days
from ledger.workdays import Calendar, load_calendar

CAL = Calendar()


@pytest.mark.parametrize("start,n,expected,why", [
    # Fri 1/24 +7: Sun 1/26(make-up)=1, Mon 1/27=2, [1/28–2/4 off], 2/5=3, 2/6=4, 2/7=5, Sat 2/8(make-up)=6, Mon 2/10=7
    ("2025-01-24", 7, "2025-02-10", "2025 春节"),
    # Fri 9/26 +3: Sun 9/28(make-up)=1, 9/29=2, 9/30=3
    ("2025-09-26", 3, "2025-09-30", "2025 国庆 eve, make-up Sunday counts"),
    # Fri 9/26 +7: 9/28=1, 9/29=2, 9/30=3, [10/1–10/8 off], 10/9=4, 10/10=5, Sat 10/11(make-up)=6, Mon 10/13=7
    ("2025-09-26", 7, "2025-10-13", "2025 国庆"),
    # Thu 2/12 +13: 2/13=1, Sat 2/14(make-up)=2, [2/15–2/23 off], 2/24..2/27=3..6, Sat 2/28(make-up)=7,
    # 3/2..3/6=8..12, Mon 3/9=13
    ("2026-02-12", 13, "2026-03-09", "2026 春节 complaint"),
    # Tue 9/29 +7: 9/30=1, [10/1–10/7 off], 10/8=2, 10/9=3, Sat 10/10(make-up)=4, 10/12=5, 10/13=6, 10/14=7
    ("2026-09-29", 7, "2026-10-14", "2026 国庆"),
    # Fri 9/18 +7: Sun 9/20(make-up)=1, 9/21..9/24=2..5, [Fri 9/25 中秋 off, weekend], 9/28=6, 9/29=7
    ("2026-09-18", 7, "2026-09-29", "2026 中秋"),
])
def test_deadlines_across_holidays(start, n, expected, why):
    assert CAL.add_workdays(date.fromisoformat(start), n) == date.fromisoformat(expected), why


def test_days_left_counts_working_days_and_goes_negative_when_overdue():
    # From Thu 2026-02-12 to Tue 2026-02-24: 2/13, Sat 2/14 (make-up), 2/24 → 3 working days
    assert CAL.workdays_between(date(2026, 2, 12), date(2026, 2, 24)) == 3
    assert CAL.workdays_between(date(2026, 2, 24), date(2026, 2, 12)) == -3


def test_year_not_covered_falls_back_to_weekdays_minus_fixed_holidays(caplog):
    # Tue 2026-12-29 +3: Wed 12/30=1, Thu 12/31=2, [Fri 2027-01-01 元旦, weekend], Mon 2027-01-04=3
    workdays._warned_years.discard(2027)
    workdays._builtin_is_workday.cache_clear()
    with caplog.at_level(logging.WARNING, logger="ledger.workdays"):
        assert CAL.add_workdays(date(2026, 12, 29), 3) == date(2027, 1, 4)
        # Thu 2027-09-30 +2: [Fri 10/1 国庆, weekend 10/2–10/3], Mon 10/4=1, Tue 10/5=2
        assert CAL.add_workdays(date(2027, 9, 30), 2) == date(2027, 10, 5)
    assert sum("holidays.yaml" in r.message for r in caplog.records) == 1  # warned once


def test_admin_holiday_list_overrides(tmp_path):
    (tmp_path / "holidays.yaml").write_text("holidays: [2027-01-04]\nworkdays: [2027-01-02]\n", encoding="utf-8")
    cal = load_calendar(tmp_path / "holidays.yaml")
    # 12/30=1, 12/31=2, [1/1 off], Sat 1/2 (make-up)=3
    assert cal.add_workdays(date(2026, 12, 29), 3) == date(2027, 1, 2)
    # From Sat 1/2: [Sun 1/3, Mon 1/4 declared holiday], Tue 1/5=1
    assert cal.add_workdays(date(2027, 1, 2), 1) == date(2027, 1, 5)


def test_bad_holiday_file_gets_a_chinese_error(tmp_path):
    (tmp_path / "holidays.yaml").write_text("holidays: [2027-13-01]\n", encoding="utf-8")
    with pytest.raises(Invalid) as err:
        load_calendar(tmp_path / "holidays.yaml")
    assert "YYYY-MM-DD" in err.value.message


def test_deadline_days_by_kind_come_from_settings(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert (deadline_days("consultation", s), deadline_days("help", s), deadline_days("complaint", s)) == (3, 7, 13)
    assert deadline_days("help", Settings(data_dir=tmp_path, deadline_help_days=5)) == 5
