package i18n

import "testing"

func TestInAndParse(t *testing.T) {
	tx := Text{EN: "hello %s", ZH: "你好 %s"}
	if tx.In(ZH, "x") != "你好 x" || tx.In(EN, "x") != "hello x" || tx.In("fr", "x") != "hello x" {
		t.Fatal("In")
	}
	if tx.Both("a") != "hello a / 你好 a" {
		t.Fatal(tx.Both("a"))
	}
	for in, want := range map[string]Lang{"zh_CN.UTF-8": ZH, "zh-TW": ZH, "cn": ZH, "en_US.UTF-8": EN, "EN": EN} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := Parse("klingon"); err == nil {
		t.Error("Parse accepted an unknown language")
	}
	t.Setenv("E5RENEW_LANG", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "zh_CN.UTF-8")
	if FromEnv() != ZH {
		t.Error("FromEnv ignored LANG")
	}
}
