package activity

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Content makes random but plausible things a developer's test app would write: subjects,
// bodies, file names and contents, people, tasks, and event times that fall in working hours
// of the account's time zone. About half of it is Chinese, like e5renew's users.
type Content struct {
	R *rand.Rand
}

var (
	topicsEN = []string{"payments API", "login flow", "release 2.4", "search indexing", "mobile build", "data migration",
		"webhook retries", "sprint backlog", "load test", "onboarding docs", "Graph integration", "CI pipeline", "cache layer"}
	topicsZH = []string{"支付接口", "登录流程", "2.4 版本发布", "搜索索引", "移动端构建", "数据迁移", "Webhook 重试", "迭代计划",
		"压力测试", "新人文档", "Graph 集成", "持续集成流水线", "缓存层"}
	subjectEN = []string{"Notes on the %s", "Re: %s review", "Question about the %s", "%s: status update", "Follow-up: %s",
		"Draft plan for the %s", "Quick sync on the %s"}
	subjectZH   = []string{"关于%s的备注", "回复：%s评审", "%s的问题", "%s进度更新", "跟进：%s", "%s方案草稿", "%s简短同步"}
	sentencesEN = []string{"I pushed the latest changes to the feature branch.", "The integration tests pass locally, CI is still running.",
		"Can we go over the open questions tomorrow morning?", "I added a few notes to the design document.",
		"The error rate dropped after the retry fix.", "Let me know if the new endpoint works for you.",
		"I will update the ticket once the review is done.", "The staging environment is ready for testing."}
	sentencesZH = []string{"我已把最新修改推送到功能分支。", "本地集成测试已通过，CI 还在运行。", "明天上午一起过一下遗留问题可以吗？",
		"我在设计文档里补充了几条说明。", "修复重试逻辑后错误率下降了。", "新接口如果有问题请告诉我。", "评审完成后我会更新工单。",
		"预发布环境已经可以测试了。"}
	givenNames = []string{"Wei", "Na", "Lei", "Fang", "Jing", "Min", "Alex", "Megan", "Adele", "Diego", "Lynne", "Isaiah", "Grady", "Miriam"}
	surnames   = []string{"Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Zhao", "Huang", "Wilber", "Bowen", "Vance", "Siciliani", "Gonzales", "Archie"}
	companies  = []string{"Contoso", "Fabrikam", "Northwind", "Tailspin", "Litware", "Woodgrove", "Adatum", "Wingtip"}
	fileStems  = []string{"notes", "meeting-notes", "todo", "api-design", "release-checklist", "test-report", "ideas", "benchmark", "会议纪要", "设计草稿"}
	tasksEN    = []string{"Review pull request", "Update API docs", "Fix flaky test", "Prepare demo", "Rotate test credentials", "Write release notes"}
	tasksZH    = []string{"评审合并请求", "更新接口文档", "修复不稳定的测试", "准备演示", "轮换测试凭据", "撰写发布说明"}
	categories = []string{"Review", "Follow up", "Project", "Research", "跟进", "项目", "待评审"}
)

func (c *Content) pick(list []string) string { return list[c.R.IntN(len(list))] }

func (c *Content) chinese() bool { return c.R.IntN(2) == 0 }

// Subject is an email or event subject.
func (c *Content) Subject() string {
	if c.chinese() {
		return fmt.Sprintf(c.pick(subjectZH), c.pick(topicsZH))
	}
	return fmt.Sprintf(c.pick(subjectEN), c.pick(topicsEN))
}

// Topic is a short topic name.
func (c *Content) Topic() string {
	if c.chinese() {
		return c.pick(topicsZH)
	}
	return c.pick(topicsEN)
}

// Body is a few sentences of text.
func (c *Content) Body() string {
	zh := c.chinese()
	n := 2 + c.R.IntN(3)
	parts := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if zh {
			parts = append(parts, c.pick(sentencesZH))
		} else {
			parts = append(parts, c.pick(sentencesEN))
		}
	}
	sep := " "
	if zh {
		sep = ""
	}
	return strings.Join(parts, sep)
}

// HTML wraps a body in a small HTML document with a title (OneNote pages).
func (c *Content) HTML(title string) string {
	return "<!DOCTYPE html><html><head><title>" + escapeHTML(title) + "</title><meta name=\"created\" content=\"" +
		time.Now().UTC().Format(time.RFC3339) + "\"></head><body><p>" + escapeHTML(c.Body()) + "</p><ul><li>" +
		escapeHTML(c.Task()) + "</li><li>" + escapeHTML(c.Task()) + "</li></ul></body></html>"
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// Person returns a given name, a surname and a company.
func (c *Content) Person() (given, surname, company string) {
	return c.pick(givenNames), c.pick(surnames), c.pick(companies)
}

// Task is a to-do title.
func (c *Content) Task() string {
	if c.chinese() {
		return c.pick(tasksZH)
	}
	return c.pick(tasksEN)
}

// Category is an Outlook category name.
func (c *Content) Category() string { return c.pick(categories) }

// FileName returns a file name with the extension ext (".txt", ".md").
func (c *Content) FileName(ext string) string {
	return fmt.Sprintf("%s-%s-%03d%s", c.pick(fileStems), time.Now().Format("20060102"), c.R.IntN(1000), ext)
}

// FileContent is a small text file.
func (c *Content) FileContent() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", c.Subject())
	for i := 0; i < 3+c.R.IntN(5); i++ {
		fmt.Fprintf(&b, "- %s\n", c.Body())
	}
	return b.String()
}

// EventTime returns a start and end in working hours (09:00-18:00, on a quarter hour, on a
// weekday, one to ten days after now) of loc, lasting 30, 45 or 60 minutes.
func (c *Content) EventTime(now time.Time, loc *time.Location) (time.Time, time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	day := now.In(loc).AddDate(0, 0, 1+c.R.IntN(10))
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	dur := time.Duration(30+15*c.R.IntN(3)) * time.Minute
	latest := 18*60 - int(dur.Minutes())
	minute := 9*60 + 15*c.R.IntN((latest-9*60)/15+1)
	start := time.Date(day.Year(), day.Month(), day.Day(), minute/60, minute%60, 0, 0, loc)
	return start, start.Add(dur)
}
