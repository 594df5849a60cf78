package io.c7to8.harness.model;

public enum Status { NEW, ACTIVE, CLOSED }
