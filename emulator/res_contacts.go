package emulator

func (e *Emulator) registerContacts(rt *router) {}
