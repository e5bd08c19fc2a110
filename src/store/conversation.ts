/**
 * Conversation history of `ralm chat`, kept in the collection's database under a session id. It has its
 * own connection and table, so recording a turn never takes the collection's write lock (history rows
 * do not touch the index), and readers of the collection are unaffected.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { STORE_FILE } from './store.js';

export interface ConversationTurn {
  turn: number;
  question: string;
  answer: string;
  at: string;
}

export class ConversationStore {
  private readonly db: Database.Database;
  readonly session: string;

  private constructor(db: Database.Database, session: string) {
    this.db = db;
    this.session = session;
  }

  /**
   * Opens the history of `session` in the collection folder `folder`.
   * @example const history = ConversationStore.open('my-index', 'default'); history.append('Q?', 'A.');
   */
  static open(folder: string, session: string): ConversationStore {
    const db = new Database(join(folder, STORE_FILE), { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.exec(
      'CREATE TABLE IF NOT EXISTS conversations (session TEXT NOT NULL, turn INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (session, turn))',
    );
    return new ConversationStore(db, session);
  }

  /** The session's turns, oldest first (at most `limit`, the most recent ones). */
  turns(limit = 20): ConversationTurn[] {
    const rows = this.db
      .prepare('SELECT turn, question, answer, at FROM conversations WHERE session = ? ORDER BY turn DESC LIMIT ?')
      .all(this.session, limit) as ConversationTurn[];
    return rows.reverse();
  }

  append(question: string, answer: string): void {
    const next = (this.db.prepare('SELECT coalesce(max(turn), 0) + 1 FROM conversations WHERE session = ?').pluck().get(this.session) as number) ?? 1;
    this.db.prepare('INSERT INTO conversations (session, turn, question, answer, at) VALUES (?, ?, ?, ?, ?)').run(this.session, next, question, answer, new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }
}
