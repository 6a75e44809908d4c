package activity

import (
	"context"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
)

// Teams: joined teams, their channels, chats, and online meetings.

type teamRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// meetingAppNote explains why online meetings are delegated only.
const meetingAppNote = "App-only online meetings need a Teams application access policy that an administrator grants " +
	"to the app for the user (New-CsApplicationAccessPolicy, Grant-CsApplicationAccessPolicy); without it Graph refuses."

// createOrGetMeeting sends POST /onlineMeetings/createOrGet: the meeting with this externalId
// is returned if it exists, else created. That makes the request safe to retry.
func (x *Exec) createOrGetMeeting(ctx context.Context, body map[string]any) (string, error) {
	resp, err := x.Do(ctx, graph.Request{Method: "POST", Path: x.P("/onlineMeetings/createOrGet"), Body: body, Idempotent: true})
	if err != nil {
		return "", err
	}
	var m idOnly
	if err := resp.JSON(&m); err != nil {
		return "", err
	}
	return m.ID, nil
}

func init() {
	registerKind(
		&Kind{Name: "teams.meeting", Order: 10,
			Delete: deleteAt(func(x *Exec, e *Entry) string { return x.P("/onlineMeetings/" + e.ObjectID) }),
			// createOrGet with the same externalId returns the meeting whose create answer was
			// lost, or makes one that is deleted right after: either way nothing is left.
			// No sweep: Graph cannot list a user's online meetings (GET /onlineMeetings answers
			// only a $filter on one meeting's join URL or id), so a meeting whose journal was
			// lost cannot be found again. It is only a scheduled meeting, without attendees.
			Find: func(ctx context.Context, x *Exec, e *Entry) (string, error) {
				return x.createOrGetMeeting(ctx, map[string]any{"externalId": e.Marker, "subject": "e5renew"})
			}},
	)

	register(
		&Activity{Name: "teams.joined_teams", Workload: Teams, Title: i18n.Text{EN: "List the teams the user is in", ZH: "列出已加入的团队"},
			Calls:     []Call{{Method: "GET", Path: "/me/joinedTeams"}},
			Delegated: []string{"Team.ReadBasic.All"}, Application: []string{"Team.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/joinedTeams"), Q("$select", "id,displayName,description"), nil)
			}},
		&Activity{Name: "teams.channels", Workload: Teams, Title: i18n.Text{EN: "List a team's channels", ZH: "列出团队的频道"},
			Calls:     []Call{{Method: "GET", Path: "/me/joinedTeams"}, {Method: "GET", Path: "/teams/{id}/channels"}},
			Delegated: []string{"Team.ReadBasic.All", "Channel.ReadBasic.All"}, Application: []string{"Team.ReadBasic.All", "Channel.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				var page list[teamRef]
				if err := x.Get(ctx, x.P("/joinedTeams"), Q("$select", "id,displayName"), &page); err != nil {
					return err
				}
				if len(page.Value) == 0 {
					return Skip("the user is not a member of any team")
				}
				t := page.Value[x.Rand.IntN(len(page.Value))]
				return x.Get(ctx, "/teams/"+t.ID+"/channels", Q("$select", "id,displayName,membershipType"), nil)
			}},
		&Activity{Name: "teams.chats", Workload: Teams, Title: i18n.Text{EN: "List recent chats", ZH: "列出最近的聊天"},
			Calls:     []Call{{Method: "GET", Path: "/me/chats"}},
			Delegated: []string{"Chat.ReadBasic"}, Application: []string{"Chat.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/chats"), Q("$top", "10"), nil)
			}},
		&Activity{Name: "teams.online_meeting", Workload: Teams, Write: true,
			Title:     i18n.Text{EN: "Schedule a Teams meeting, then delete it", ZH: "预约一个 Teams 会议，随后删除"},
			Calls:     []Call{{Method: "POST", Path: "/me/onlineMeetings/createOrGet"}, {Method: "DELETE", Path: "/me/onlineMeetings/{id}"}},
			Delegated: []string{"OnlineMeetings.ReadWrite"}, AppNote: meetingAppNote,
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				start, end := x.Content.EventTime(x.Now(), x.Loc)
				_, err := x.Create(ctx, "teams.online_meeting", "teams.meeting", marker, "", func() (string, error) {
					return x.createOrGetMeeting(ctx, map[string]any{
						"externalId": marker, "subject": x.Content.Subject(),
						"startDateTime": start.Format(time.RFC3339), "endDateTime": end.Format(time.RFC3339),
					})
				})
				return err
			}},
	)
}
