package io.c7to8.harness.model;

import java.io.Serializable;

/** Superclass of shape 6 (class hierarchy with inherited fields). */
public class BaseEntity implements Serializable {
  private static final long serialVersionUID = 1L;
  public String id;
  public String createdBy;
  public long version;
}
