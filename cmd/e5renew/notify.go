package main

import (
	"errors"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/service"
)

var notifyTexts = struct {
	none, ok, failed, header, summary i18n.Text
}{
	none:    i18n.Text{EN: "no notification channel is configured: add one under notifications.channels (see the README)", ZH: "尚未配置通知通道：请在 notifications.channels 下添加（参见 README）"},
	ok:      i18n.Text{EN: "delivered", ZH: "已送达"},
	failed:  i18n.Text{EN: "failed: %v", ZH: "失败：%v"},
	header:  i18n.Text{EN: "CHANNEL\tTYPE\tTIME\tRESULT", ZH: "通道\t类型\t耗时\t结果"},
	summary: i18n.Text{EN: "%d of %d channels failed", ZH: "%d/%d 个通道失败"},
}

func newNotifyCommand(d *deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Check the notification channels / 检查通知通道",
	}
	var (
		cfgPath  string
		channels []string
	)
	test := &cobra.Command{
		Use:   "test",
		Short: "Send a test message through each configured channel and show what each answered / 通过每个通道发送测试消息",
		Example: `  e5renew notify test
  e5renew notify test --channel telegram --channel wecom-team`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(d, cfgPath)
			if err != nil {
				return err
			}
			if len(cfg.Notifications.Channels) == 0 {
				return errors.New(notifyTexts.none.In(d.lang))
			}
			st, err := fleet.OpenStore(cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := service.Channels(cfg, &http.Client{Timeout: 30 * time.Second})
			if err != nil {
				return err
			}
			// One attempt each: the point is to see what each service answers.
			mgr, err := notify.NewManager(list, notify.ManagerOptions{Recorder: service.Recorder{S: st}, Attempts: 1}) // the table says it all: no log
			if err != nil {
				return err
			}
			lang := cfg.NotifyLang()
			chans, err := mgr.Select(channels)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(d.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, notifyTexts.header.In(d.lang))
			failed := 0
			for _, c := range chans {
				msg := notify.TestMsg(lang, c.Name())
				res, err := mgr.Send(cmd.Context(), msg, []string{c.Name()})
				if err != nil {
					return err
				}
				r := res[0]
				result := notifyTexts.ok.In(d.lang)
				if r.Err != nil {
					failed++
					result = notifyTexts.failed.In(d.lang, r.Err)
				}
				fmt.Fprintf(tw, "%s\t%s\t%.1fs\t%s\n", r.Channel, r.Type, r.Duration.Seconds(), result)
			}
			tw.Flush()
			if failed > 0 {
				return fmt.Errorf("%s", notifyTexts.summary.In(d.lang, failed, len(chans)))
			}
			return nil
		},
	}
	configFlag(test, &cfgPath)
	test.Flags().StringSliceVar(&channels, "channel", nil, "only these channels (by name) / 仅这些通道")
	cmd.AddCommand(test)
	return cmd
}
