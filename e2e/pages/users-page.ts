import type { Locator, Page } from "@playwright/test";

/** /users (admin): the users table with role, Set password… and Remove; Add user; API tokens. */
export class UsersPage {
  readonly page: Page;
  readonly users: Locator;
  readonly tokens: Locator;
  readonly alert: Locator;
  readonly status: Locator;
  readonly addForm: Locator;
  readonly tokenForm: Locator;

  constructor(page: Page) {
    this.page = page;
    this.users = page.getByRole("table", { name: "Users" });
    this.tokens = page.getByRole("table", { name: "API tokens" });
    // Scoped to main: Next.js adds its own (empty) role=alert route announcer to the body.
    this.alert = page.getByRole("main").getByRole("alert");
    this.status = page.getByRole("main").getByRole("status").first();
    this.addForm = page.getByRole("form", { name: "Add user" });
    this.tokenForm = page.getByRole("form", { name: "Create API token" });
  }

  async goto(): Promise<void> {
    await this.page.goto("/users");
  }

  row(username: string): Locator {
    return this.users.getByRole("row", { name: username, exact: true });
  }

  roleOf(username: string): Locator {
    return this.page.getByRole("combobox", { name: `Role of ${username}`, exact: true });
  }

  async addUser(username: string, role: "viewer" | "admin", password: string): Promise<void> {
    await this.addForm.getByLabel("User name").fill(username);
    await this.addForm.getByLabel("Role").selectOption(role);
    await this.addForm.getByLabel("Initial password").fill(password);
    await this.addForm.getByRole("button", { name: "Add user" }).click();
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.row(username).getByRole("button", { name: "Set password…" }).click();
    const form = this.page.getByRole("form", { name: `New password for ${username}` });
    await form.getByLabel(`New password for ${username}`).fill(password);
    await form.getByRole("button", { name: "Set password" }).click();
  }

  /** Clicks Remove and accepts the confirmation. */
  async remove(username: string): Promise<void> {
    this.page.once("dialog", (d) => void d.accept());
    await this.row(username).getByRole("button", { name: "Remove" }).click();
  }

  /** Creates a token and returns it as the page shows it (once). */
  async createToken(username: string, label: string): Promise<string> {
    await this.tokenForm.getByLabel("For user").selectOption(username);
    await this.tokenForm.getByLabel("Label (what it is for)").fill(label);
    await this.tokenForm.getByRole("button", { name: "Create token" }).click();
    const field = this.page.getByRole("textbox", { name: "Token", exact: true });
    await field.waitFor();
    return field.inputValue();
  }

  async revoke(username: string, label: string): Promise<void> {
    this.page.once("dialog", (d) => void d.accept());
    await this.tokens.getByRole("row", { name: `${username} ${label}`, exact: true }).getByRole("button", { name: "Revoke" }).click();
  }
}
