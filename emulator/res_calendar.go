package emulator

func (e *Emulator) registerCalendar(rt *router) {}
