#!/usr/bin/env python3
"""LDIF of N staff for the test directory (tests/lab/slapd.sh): Japanese
names in kanji (cn) and katakana (displayName), a department and a title,
both the OpenLDAP way of marking a leaver (employeeType: retired) and the
Active Directory way (userAccountControl bit 2).

    slapd-users.py N [--start K] [--retired EVERY] [--base DN]

Entries are uid=u%05d,ou=people,BASE with employeeNumber S%05d (from K,
default 1); every EVERY-th (default 0: none) is retired. The same input
gives the same output (no randomness), so tests can state exact results.
Values that are not ASCII are base64-encoded, as LDIF requires."""
import argparse
import base64

FAMILY = [("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("髙橋", "タカハシ"),
          ("田中", "タナカ"), ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("中村", "ナカムラ"),
          ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山口", "ヤマグチ")]
GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"),
         ("健太", "ケンタ"), ("陽子", "ヨウコ"), ("翔", "ショウ"), ("さくら", "サクラ"),
         ("大輔", "ダイスケ")]
DEPT = ["総務課", "税務課", "市民課", "福祉課", "教育委員会 学校教育課", "情報政策課"]
TITLE = ["主事", "主任", "係長", "課長補佐", "課長"]


def attr(name, value):
    try:
        value.encode("ascii")
        if value and value[0] not in " :<" and value[-1] != " ":
            return "%s: %s\n" % (name, value)
    except UnicodeEncodeError:
        pass
    return "%s:: %s\n" % (name, base64.b64encode(value.encode("utf-8")).decode())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("--start", type=int, default=1)
    p.add_argument("--retired", type=int, default=0)
    p.add_argument("--base", default="dc=example,dc=lg,dc=jp")
    a = p.parse_args()
    out = []
    for i in range(a.start, a.start + a.n):
        fam, fam_k = FAMILY[i % len(FAMILY)]
        giv, giv_k = GIVEN[(i // len(FAMILY)) % len(GIVEN)]
        retired = a.retired > 0 and i % a.retired == 0
        e = "dn: uid=u%05d,ou=people,%s\n" % (i, a.base)
        e += "objectClass: inetOrgPerson\nobjectClass: sekishoTestADUser\n"
        e += "uid: u%05d\n" % i
        e += attr("cn", "%s %s" % (fam, giv))
        e += attr("sn", fam)
        e += attr("displayName", "%s %s" % (fam_k, giv_k))
        e += "employeeNumber: S%05d\n" % i
        e += "sAMAccountName: s%05d\n" % i
        e += attr("departmentNumber", DEPT[i % len(DEPT)])
        e += attr("title", TITLE[i % len(TITLE)])
        e += "userAccountControl: %d\n" % (514 if retired else 512)
        if retired:
            e += "employeeType: retired\n"
        out.append(e)
    print("\n".join(out), end="")


if __name__ == "__main__":
    main()
