package io.c7to8.harness.model;

import java.io.Serializable;

/** Java-serialized shape 4: an enum field. */
public class Ticket implements Serializable {
  private static final long serialVersionUID = 1L;
  public String title;
  public Status status;

  public Ticket() {}

  public Ticket(String title, Status status) {
    this.title = title;
    this.status = status;
  }
}
