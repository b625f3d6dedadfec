package fsm

// ResetAppliedIndex sets the applied journal index. It exists for one
// case: importing a backup into an empty journal, whose first entry will
// have index index+1 whatever index the backed-up namespace had reached.
func (f *FSM) ResetAppliedIndex(index uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = index
}
