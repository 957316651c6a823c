import type { AgentInfo, CommandRequest } from '@onsembl/client';
import { Limits } from '@onsembl/protocol';
import { useId, useState, type FormEvent } from 'react';
import type { Session } from '../state/session.js';
import { noticeFromFailure } from '../ui/notices.js';

interface Props {
  session: Session;
  agent: AgentInfo;
  disabled: boolean;
}

type Priority = CommandRequest['priority'];

/** Command input with a priority and an optional timeout (seconds). */
export function CommandForm({ session, agent, disabled }: Props) {
  const [command, setCommand] = useState('');
  const [priority, setPriority] = useState<Priority>('normal');
  const [timeoutSeconds, setTimeoutSeconds] = useState('');
  const [sending, setSending] = useState(false);
  const id = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const text = command.trim();
    if (!text) return;
    const seconds = Number(timeoutSeconds);
    const timeoutMs = timeoutSeconds.trim() !== '' && seconds > 0 ? Math.round(seconds * 1_000) : undefined;
    setSending(true);
    try {
      await session.client.requestCommand({ agentId: agent.id, command: text, priority, ...(timeoutMs ? { timeoutMs } : {}) });
      setCommand('');
    } catch (error) {
      session.store.dispatch({ type: 'notice', notice: noticeFromFailure(`Run "${text.slice(0, 40)}"`, error) });
    } finally {
      setSending(false);
    }
  };

  return (
    <form className="command-form" onSubmit={(e) => void submit(e)} aria-label={`Run a command on ${agent.name}`} data-testid="command-form">
      <label className="visually-hidden" htmlFor={`${id}-cmd`}>
        Command
      </label>
      <div className="command-box">
        <span className="prompt" aria-hidden="true">
          $
        </span>
        <input
        id={`${id}-cmd`}
        className="command-input"
        autoComplete="off"
        spellCheck={false}
        maxLength={Limits.commandMaxChars}
        placeholder={`Command to run on ${agent.name}`}
        value={command}
        onChange={(e) => setCommand(e.target.value)}
        data-testid="command-input"
        />
      </div>
      <label className="field">
        <span>Priority</span>
        <select value={priority} onChange={(e) => setPriority(e.target.value as Priority)} data-testid="command-priority">
          <option value="high">high</option>
          <option value="normal">normal</option>
          <option value="low">low</option>
        </select>
      </label>
      <label className="field">
        <span>Timeout (s)</span>
        <input
          type="number"
          min="1"
          step="1"
          inputMode="numeric"
          placeholder="none"
          value={timeoutSeconds}
          onChange={(e) => setTimeoutSeconds(e.target.value)}
          className="timeout-input"
          data-testid="command-timeout"
        />
      </label>
      <button type="submit" className="primary" disabled={disabled || sending || command.trim() === ''} data-testid="command-run">
        Run
      </button>
    </form>
  );
}
