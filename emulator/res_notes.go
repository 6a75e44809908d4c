package emulator

func (e *Emulator) registerNotes(rt *router) {}
