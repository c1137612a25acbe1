package control

// Changes returns the changes in the editor's journal, oldest first (see
// Journal.Changes). With JournalPath it is what a view of the journal
// needs, for a remote host's editor as well as this one's.
func (e *Editor) Changes() ([]Change, error) { return e.journal.Changes() }

// JournalPath returns where the editor's journal is.
func (e *Editor) JournalPath() string { return e.journal.Path() }
