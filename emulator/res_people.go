package emulator

func (e *Emulator) registerPeople(rt *router) {}
