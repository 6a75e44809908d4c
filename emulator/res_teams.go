package emulator

func (e *Emulator) registerTeams(rt *router) {}
