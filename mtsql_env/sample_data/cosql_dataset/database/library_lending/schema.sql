-- library_lending: part of the mtsql bundled sample data (Apache-2.0), written for mtsql.
-- Source of truth for library_lending.sqlite; rebuild with scripts/build_sample_data.py.
PRAGMA foreign_keys = ON;

CREATE TABLE author (
    author_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    nationality TEXT,
    birth_year INTEGER
);

INSERT INTO author VALUES (1, 'Marta Lindqvist', 'Sweden', 1962);
INSERT INTO author VALUES (2, 'Okonkwo Adebayo', 'Nigeria', 1975);
INSERT INTO author VALUES (3, 'Helen Carraway', 'United Kingdom', 1948);
INSERT INTO author VALUES (4, 'Tomas Varga', 'Hungary', 1981);
INSERT INTO author VALUES (5, 'Priya Raman', 'India', 1979);
INSERT INTO author VALUES (6, 'Lucas Moreau', 'France', 1955);
INSERT INTO author VALUES (7, 'Sofia Castellanos', 'Mexico', 1990);
INSERT INTO author VALUES (8, 'James Whitlock', 'United States', 1968);
INSERT INTO author VALUES (9, 'Yuki Hamada', 'Japan', 1972);
INSERT INTO author VALUES (10, 'Anna Kowalczyk', 'Poland', 1985);
INSERT INTO author VALUES (11, 'Daniel Osei', 'Ghana', NULL);
INSERT INTO author VALUES (12, 'Clara Engel', 'Germany', 1959);
INSERT INTO author VALUES (13, 'Robert Finch', 'United States', 1944);
INSERT INTO author VALUES (14, 'Ines Duarte', 'Portugal', 1987);
INSERT INTO author VALUES (15, 'Mei Lin Zhao', 'China', 1970);
INSERT INTO author VALUES (16, 'Erik Haugen', 'Norway', NULL);
INSERT INTO author VALUES (17, 'Grace Abernathy', 'United Kingdom', 1983);
INSERT INTO author VALUES (18, 'Paolo Benedetti', 'Italy', 1966);

CREATE TABLE book (
    book_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author_id INTEGER NOT NULL,
    genre TEXT,
    publication_year INTEGER,
    pages INTEGER,
    price REAL,
    FOREIGN KEY (author_id) REFERENCES author (author_id)
);

INSERT INTO book VALUES (1, 'A Winter Island', 1, 'Biography', 2012, 508, 15.99);
INSERT INTO book VALUES (2, 'A Winter Forest', 2, 'Fantasy', 2000, 595, 15.99);
INSERT INTO book VALUES (3, 'A Winter Station', 3, 'Mystery', 1998, 488, 7.99);
INSERT INTO book VALUES (4, 'The Northern Archive', 4, 'Fantasy', 2019, 305, 17.99);
INSERT INTO book VALUES (5, 'Shadows over the Archive', 5, 'History', 2015, 702, 25.99);
INSERT INTO book VALUES (6, 'The Glass Machine', 6, 'Romance', 1991, 663, 32.99);
INSERT INTO book VALUES (7, 'The Silent Lighthouse', 7, 'Fantasy', 2015, 709, 20.99);
INSERT INTO book VALUES (8, 'The Copper Tide', 8, 'Science', 2014, 591, 36.99);
INSERT INTO book VALUES (9, 'The Last Garden', 9, 'Biography', 2020, 680, 24.99);
INSERT INTO book VALUES (10, 'The Last Lighthouse', 10, 'History', 2014, 465, 21.99);
INSERT INTO book VALUES (11, 'The Silent Compass', 11, 'Poetry', 2004, 178, 14.99);
INSERT INTO book VALUES (12, 'Echoes of the Island', 12, 'Romance', 2001, 277, 16.99);
INSERT INTO book VALUES (13, 'Beneath the Map', 13, 'Science', 2008, 446, 16.99);
INSERT INTO book VALUES (14, 'Letters from the Garden', 14, 'Romance', 2012, 524, 39.99);
INSERT INTO book VALUES (15, 'The Glass Orchard', 15, 'Fantasy', 2002, 399, 24.99);
INSERT INTO book VALUES (16, 'Beneath the Compass', 16, 'Mystery', 1996, 138, 42.99);
INSERT INTO book VALUES (17, 'Letters from the Station', 17, 'Fantasy', 2020, 530, 31.99);
INSERT INTO book VALUES (18, 'The Copper Valley', 18, 'Biography', 2004, 271, 32.99);
INSERT INTO book VALUES (19, 'The Last Island', 4, 'Biography', 2006, 578, 39.99);
INSERT INTO book VALUES (20, 'Beneath the Station', 17, 'Poetry', 2012, 589, 27.99);
INSERT INTO book VALUES (21, 'The Hidden Cathedral', 10, 'Mystery', 2013, 565, 15.99);
INSERT INTO book VALUES (22, 'Letters from the Orchard', 8, 'Science', 2011, 470, 34.99);
INSERT INTO book VALUES (23, 'The Glass Tide', 2, 'Fantasy', 2017, 329, 42.99);
INSERT INTO book VALUES (24, 'Shadows over the Tide', 2, 'Romance', 2013, 582, 32.99);
INSERT INTO book VALUES (25, 'The Silent Frontier', 4, 'Fantasy', 2020, 467, 26.99);
INSERT INTO book VALUES (26, 'A Winter Archive', 16, 'Mystery', 1981, 391, 7.99);
INSERT INTO book VALUES (27, 'The Hidden Observatory', 18, 'Biography', 2005, 316, 31.99);
INSERT INTO book VALUES (28, 'The Last Observatory', 15, 'Poetry', 1996, 313, 40.99);
INSERT INTO book VALUES (29, 'The Copper Machine', 8, 'Science', 2011, 660, 42.99);
INSERT INTO book VALUES (30, 'The Hidden Machine', 5, 'History', 2008, 232, 11.99);
INSERT INTO book VALUES (31, 'The Silent Tide', 3, 'Romance', 2000, 257, 33.99);
INSERT INTO book VALUES (32, 'A Winter Cathedral', 17, 'Poetry', 2011, 424, 18.99);
INSERT INTO book VALUES (33, 'The Last Forest', 18, 'Science Fiction', 2000, 460, 33.99);
INSERT INTO book VALUES (34, 'Beneath the Cathedral', 13, 'Science', 2005, 369, 14.99);
INSERT INTO book VALUES (35, 'The Glass Observatory', 9, 'Biography', 2021, 315, 19.99);
INSERT INTO book VALUES (36, 'The Silent Valley', 10, 'Mystery', 2010, 504, 12.99);
INSERT INTO book VALUES (37, 'The Northern Station', 15, 'Fantasy', 2022, 176, 24.99);
INSERT INTO book VALUES (38, 'Letters from the Lighthouse', 6, 'Science', 2003, 613, 39.99);
INSERT INTO book VALUES (39, 'The Silent Forest', 2, 'Fantasy', 2001, 357, 7.99);
INSERT INTO book VALUES (40, 'The Last Kingdom', 13, 'Science', 2021, 310, 23.99);
INSERT INTO book VALUES (41, 'Echoes of the Tide', 9, 'Science Fiction', 2023, 339, 32.99);
INSERT INTO book VALUES (42, 'Letters from the Forest', 5, 'Fantasy', 2020, 619, 18.99);
INSERT INTO book VALUES (43, 'The Lost Machine', 2, 'Romance', 2016, 229, 33.99);
INSERT INTO book VALUES (44, 'The Silent Kingdom', 10, 'Mystery', 2020, 501, 30.99);
INSERT INTO book VALUES (45, 'The Last Station', 16, 'Fantasy', 1983, 573, 34.99);
INSERT INTO book VALUES (46, 'Return to the River', 16, 'Fantasy', 2009, 182, 40.99);
INSERT INTO book VALUES (47, 'The Glass Frontier', 12, 'Science Fiction', 1994, 198, 28.99);
INSERT INTO book VALUES (48, 'Songs of the Map', 14, 'Romance', 2023, 175, 21.99);
INSERT INTO book VALUES (49, 'The Lost River', 1, 'Fantasy', 2003, 282, 27.99);
INSERT INTO book VALUES (50, 'Songs of the Cathedral', 17, 'Poetry', 2010, 317, 12.99);
INSERT INTO book VALUES (51, 'Songs of the Observatory', 16, 'Fantasy', 2013, 270, 25.99);
INSERT INTO book VALUES (52, 'Return to the Kingdom', 2, 'Romance', 2011, 196, 28.99);
INSERT INTO book VALUES (53, 'The Last Harbor', 1, 'Biography', 1989, 278, 17.99);
INSERT INTO book VALUES (54, 'Echoes of the Garden', 14, 'Romance', 2022, 323, 19.99);
INSERT INTO book VALUES (55, 'Shadows over the Island', 12, 'Science Fiction', 2004, 351, 28.99);
INSERT INTO book VALUES (56, 'Letters from the Cathedral', 17, 'Fantasy', 2013, 269, 33.99);
INSERT INTO book VALUES (57, 'A Winter Machine', 14, 'Romance', 2016, 336, 23.99);
INSERT INTO book VALUES (58, 'The Northern Observatory', 5, 'Fantasy', 2006, 544, 40.99);
INSERT INTO book VALUES (59, 'Shadows over the Forest', 1, 'Biography', 1998, 251, 26.99);
INSERT INTO book VALUES (60, 'The Copper Forest', 2, 'Fantasy', 2019, 203, 32.99);

CREATE TABLE branch (
    branch_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT,
    opened_year INTEGER,
    manager_name TEXT
);

INSERT INTO branch VALUES (1, 'Central Library', 'Springfield', 1931, 'Ruth Alvarez');
INSERT INTO branch VALUES (2, 'Riverside Branch', 'Springfield', 1978, 'Kenji Mori');
INSERT INTO branch VALUES (3, 'Oakwood Branch', 'Shelbyville', 1995, 'Nadia Petrova');
INSERT INTO branch VALUES (4, 'Hillcrest Branch', 'Capital City', 2004, NULL);
INSERT INTO branch VALUES (5, 'Harbor Point Branch', 'Shelbyville', 2016, 'Samuel Greene');

CREATE TABLE member (
    member_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    city TEXT,
    join_date DATE,
    membership_type TEXT,
    email TEXT,
    is_active BOOLEAN
);

INSERT INTO member VALUES (1, 'Alice', 'Garcia', 'Shelbyville', '2021-03-27', 'Standard', 'alice.garcia@example.com', 1);
INSERT INTO member VALUES (2, 'Ben', 'Baker', 'Ogdenville', '2019-04-30', 'Standard', 'ben.baker@example.com', 1);
INSERT INTO member VALUES (3, 'Chloe', 'Usman', 'Springfield', '2022-10-24', 'Standard', 'chloe.usman@example.com', 1);
INSERT INTO member VALUES (4, 'David', 'Fischer', 'Springfield', '2015-02-20', 'Premium', 'david.fischer@example.com', 1);
INSERT INTO member VALUES (5, 'Emma', 'Khan', 'Capital City', '2015-10-11', 'Premium', 'emma.khan@example.com', 1);
INSERT INTO member VALUES (6, 'Farid', 'Baker', 'Capital City', '2022-10-20', 'Standard', 'farid.baker@example.com', 1);
INSERT INTO member VALUES (7, 'Grace', 'Lopez', 'Springfield', '2018-11-24', 'Standard', 'grace.lopez@example.com', 0);
INSERT INTO member VALUES (8, 'Hugo', 'Olsen', 'Shelbyville', '2019-03-27', 'Standard', 'hugo.olsen@example.com', 1);
INSERT INTO member VALUES (9, 'Isla', 'Reyes', 'Springfield', '2017-04-09', 'Premium', 'isla.reyes@example.com', 1);
INSERT INTO member VALUES (10, 'Jonas', 'Silva', 'Springfield', '2016-02-25', 'Premium', 'jonas.silva@example.com', 1);
INSERT INTO member VALUES (11, 'Kara', 'Anderson', 'Shelbyville', '2017-01-21', 'Premium', 'kara.anderson@example.com', 1);
INSERT INTO member VALUES (12, 'Liam', 'Khan', 'Ogdenville', '2023-05-18', 'Standard', NULL, 1);
INSERT INTO member VALUES (13, 'Maya', 'Baker', 'Springfield', '2015-04-07', 'Standard', 'maya.baker@example.com', 1);
INSERT INTO member VALUES (14, 'Noah', 'Fischer', 'Shelbyville', '2015-11-02', 'Standard', 'noah.fischer@example.com', 1);
INSERT INTO member VALUES (15, 'Olga', 'Ito', 'Springfield', '2016-09-15', 'Standard', 'olga.ito@example.com', 1);
INSERT INTO member VALUES (16, 'Pedro', 'Quist', 'Ogdenville', '2015-01-25', 'Student', 'pedro.quist@example.com', 0);
INSERT INTO member VALUES (17, 'Quinn', 'Khan', 'Capital City', '2016-02-06', 'Student', 'quinn.khan@example.com', 1);
INSERT INTO member VALUES (18, 'Rosa', 'Khan', 'Ogdenville', '2023-02-24', 'Standard', 'rosa.khan@example.com', 1);
INSERT INTO member VALUES (19, 'Sam', 'Reyes', 'Springfield', '2020-04-07', 'Student', 'sam.reyes@example.com', 1);
INSERT INTO member VALUES (20, 'Tara', 'Anderson', 'Springfield', '2017-07-11', 'Standard', 'tara.anderson@example.com', 1);
INSERT INTO member VALUES (21, 'Umar', 'Fischer', 'Springfield', '2020-11-23', 'Student', 'umar.fischer@example.com', 1);
INSERT INTO member VALUES (22, 'Vera', 'Olsen', 'Shelbyville', '2015-11-07', 'Premium', 'vera.olsen@example.com', 1);
INSERT INTO member VALUES (23, 'Will', 'Vogel', 'Springfield', '2016-10-06', 'Premium', NULL, 0);
INSERT INTO member VALUES (24, 'Xenia', 'Young', 'Ogdenville', '2022-11-22', 'Standard', NULL, 1);
INSERT INTO member VALUES (25, 'Yusuf', 'Vogel', 'Ogdenville', '2016-11-24', 'Standard', 'yusuf.vogel@example.com', 1);
INSERT INTO member VALUES (26, 'Zoe', 'Garcia', 'Springfield', '2016-06-16', 'Student', NULL, 1);
INSERT INTO member VALUES (27, 'Aaron', 'Fischer', 'Ogdenville', '2019-04-07', 'Premium', 'aaron.fischer@example.com', 1);
INSERT INTO member VALUES (28, 'Bianca', 'Chen', 'Capital City', '2016-02-06', 'Standard', 'bianca.chen@example.com', 1);
INSERT INTO member VALUES (29, 'Caleb', 'Olsen', 'Springfield', '2022-06-15', 'Premium', 'caleb.olsen@example.com', 1);
INSERT INTO member VALUES (30, 'Dina', 'Reyes', 'Springfield', '2020-02-10', 'Standard', 'dina.reyes@example.com', 1);
INSERT INTO member VALUES (31, 'Ethan', 'Fischer', 'Springfield', '2017-03-28', 'Standard', 'ethan.fischer@example.com', 0);
INSERT INTO member VALUES (32, 'Fiona', 'Garcia', 'Springfield', '2018-09-28', 'Standard', 'fiona.garcia@example.com', 0);
INSERT INTO member VALUES (33, 'Gabriel', 'Garcia', 'Springfield', '2021-11-10', 'Student', 'gabriel.garcia@example.com', 1);
INSERT INTO member VALUES (34, 'Hanna', 'Olsen', 'Shelbyville', '2016-04-08', 'Standard', 'hanna.olsen@example.com', 1);
INSERT INTO member VALUES (35, 'Ivan', 'Jensen', 'Capital City', '2016-12-30', 'Standard', NULL, 1);
INSERT INTO member VALUES (36, 'Julia', 'Turner', 'Springfield', '2015-11-01', 'Standard', 'julia.turner@example.com', 1);
INSERT INTO member VALUES (37, 'Kofi', 'Chen', 'Ogdenville', '2016-07-29', 'Student', 'kofi.chen@example.com', 1);
INSERT INTO member VALUES (38, 'Lena', 'Jensen', 'Springfield', '2022-02-12', 'Standard', NULL, 1);
INSERT INTO member VALUES (39, 'Marco', 'Diaz', 'Shelbyville', '2020-07-26', 'Standard', 'marco.diaz@example.com', 1);
INSERT INTO member VALUES (40, 'Nina', 'Khan', 'Capital City', '2016-09-23', 'Standard', 'nina.khan@example.com', 1);
INSERT INTO member VALUES (41, 'Oscar', 'Evans', 'Capital City', '2017-01-16', 'Premium', 'oscar.evans@example.com', 1);
INSERT INTO member VALUES (42, 'Paula', 'Reyes', 'Springfield', '2022-01-30', 'Standard', 'paula.reyes@example.com', 1);

CREATE TABLE loan (
    loan_id INTEGER PRIMARY KEY,
    book_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    branch_id INTEGER NOT NULL,
    loan_date DATE,
    due_date DATE,
    return_date DATE,
    fine REAL,
    FOREIGN KEY (book_id) REFERENCES book (book_id),
    FOREIGN KEY (member_id) REFERENCES member (member_id),
    FOREIGN KEY (branch_id) REFERENCES branch (branch_id)
);

INSERT INTO loan VALUES (1, 21, 31, 3, '2023-10-06', '2023-10-27', '2023-11-03', 1.75);
INSERT INTO loan VALUES (2, 18, 30, 2, '2023-05-22', '2023-06-12', '2023-06-01', NULL);
INSERT INTO loan VALUES (3, 22, 27, 1, '2023-11-02', '2023-11-23', '2023-11-05', NULL);
INSERT INTO loan VALUES (4, 12, 34, 2, '2023-04-29', '2023-05-20', '2023-05-26', 1.50);
INSERT INTO loan VALUES (5, 45, 34, 5, '2023-10-29', '2023-11-19', '2023-11-06', NULL);
INSERT INTO loan VALUES (6, 17, 22, 1, '2024-01-28', '2024-02-18', '2024-01-31', NULL);
INSERT INTO loan VALUES (7, 14, 24, 3, '2023-09-23', '2023-10-14', '2023-10-04', NULL);
INSERT INTO loan VALUES (8, 30, 12, 1, '2024-01-10', '2024-01-31', '2024-02-03', 0.75);
INSERT INTO loan VALUES (9, 26, 35, 5, '2023-10-16', '2023-11-06', '2023-11-12', 1.50);
INSERT INTO loan VALUES (10, 35, 19, 1, '2023-10-09', '2023-10-30', '2023-10-21', NULL);
INSERT INTO loan VALUES (11, 37, 9, 3, '2024-01-04', '2024-01-25', NULL, NULL);
INSERT INTO loan VALUES (12, 6, 32, 1, '2023-01-09', '2023-01-30', '2023-02-05', 1.50);
INSERT INTO loan VALUES (13, 51, 17, 4, '2023-09-10', '2023-10-01', NULL, NULL);
INSERT INTO loan VALUES (14, 51, 32, 3, '2023-11-18', '2023-12-09', '2023-11-27', NULL);
INSERT INTO loan VALUES (15, 35, 18, 3, '2023-07-29', '2023-08-19', '2023-08-21', 0.50);
INSERT INTO loan VALUES (16, 45, 22, 1, '2023-07-30', '2023-08-20', '2023-08-23', 0.75);
INSERT INTO loan VALUES (17, 16, 8, 2, '2024-03-19', '2024-04-09', NULL, NULL);
INSERT INTO loan VALUES (18, 52, 30, 5, '2023-02-18', '2023-03-11', NULL, NULL);
INSERT INTO loan VALUES (19, 31, 28, 2, '2024-03-20', '2024-04-10', NULL, NULL);
INSERT INTO loan VALUES (20, 32, 38, 4, '2023-04-02', '2023-04-23', '2023-04-09', NULL);
INSERT INTO loan VALUES (21, 49, 38, 1, '2023-06-07', '2023-06-28', '2023-07-05', 1.75);
INSERT INTO loan VALUES (22, 36, 36, 4, '2024-03-16', '2024-04-06', NULL, NULL);
INSERT INTO loan VALUES (23, 27, 35, 4, '2024-01-26', '2024-02-16', '2024-02-06', NULL);
INSERT INTO loan VALUES (24, 34, 20, 5, '2023-03-02', '2023-03-23', '2023-03-20', NULL);
INSERT INTO loan VALUES (25, 15, 4, 2, '2023-06-16', '2023-07-07', '2023-07-16', 2.25);
INSERT INTO loan VALUES (26, 49, 15, 5, '2023-08-22', '2023-09-12', '2023-09-21', 2.25);
INSERT INTO loan VALUES (27, 21, 18, 3, '2023-07-11', '2023-08-01', '2023-08-09', 2.00);
INSERT INTO loan VALUES (28, 53, 30, 1, '2023-09-22', '2023-10-13', '2023-10-13', NULL);
INSERT INTO loan VALUES (29, 44, 25, 1, '2023-08-05', '2023-08-26', '2023-08-13', NULL);
INSERT INTO loan VALUES (30, 33, 38, 4, '2023-07-21', '2023-08-11', '2023-08-08', NULL);
INSERT INTO loan VALUES (31, 49, 33, 5, '2023-11-12', '2023-12-03', '2023-12-01', NULL);
INSERT INTO loan VALUES (32, 6, 26, 4, '2023-03-01', '2023-03-22', NULL, NULL);
INSERT INTO loan VALUES (33, 15, 7, 3, '2023-04-24', '2023-05-15', '2023-05-03', NULL);
INSERT INTO loan VALUES (34, 1, 4, 4, '2024-02-08', '2024-02-29', '2024-02-18', NULL);
INSERT INTO loan VALUES (35, 32, 18, 2, '2024-03-25', '2024-04-15', NULL, NULL);
INSERT INTO loan VALUES (36, 5, 29, 2, '2023-01-18', '2023-02-08', '2023-02-07', NULL);
INSERT INTO loan VALUES (37, 32, 3, 1, '2024-02-29', '2024-03-21', '2024-03-05', NULL);
INSERT INTO loan VALUES (38, 31, 27, 3, '2023-12-20', '2024-01-10', '2023-12-27', NULL);
INSERT INTO loan VALUES (39, 3, 34, 4, '2023-04-16', '2023-05-07', '2023-04-24', NULL);
INSERT INTO loan VALUES (40, 45, 8, 1, '2023-10-04', '2023-10-25', '2023-10-23', NULL);
INSERT INTO loan VALUES (41, 13, 36, 5, '2024-02-26', '2024-03-18', '2024-03-13', NULL);
INSERT INTO loan VALUES (42, 12, 15, 1, '2023-07-30', '2023-08-20', '2023-08-17', NULL);
INSERT INTO loan VALUES (43, 31, 10, 3, '2024-03-25', '2024-04-15', NULL, NULL);
INSERT INTO loan VALUES (44, 36, 20, 5, '2023-03-27', '2023-04-17', '2023-04-07', NULL);
INSERT INTO loan VALUES (45, 18, 23, 4, '2023-09-07', '2023-09-28', '2023-09-26', NULL);
INSERT INTO loan VALUES (46, 49, 13, 3, '2023-09-05', '2023-09-26', '2023-09-09', NULL);
INSERT INTO loan VALUES (47, 41, 27, 1, '2023-08-17', '2023-09-07', '2023-08-31', NULL);
INSERT INTO loan VALUES (48, 22, 29, 3, '2023-04-25', '2023-05-16', '2023-04-28', NULL);
INSERT INTO loan VALUES (49, 15, 19, 1, '2023-11-09', '2023-11-30', '2023-11-18', NULL);
INSERT INTO loan VALUES (50, 52, 14, 5, '2023-09-10', '2023-10-01', '2023-10-06', 1.25);
INSERT INTO loan VALUES (51, 41, 37, 1, '2023-09-21', '2023-10-12', '2023-09-26', NULL);
INSERT INTO loan VALUES (52, 33, 19, 2, '2023-09-02', '2023-09-23', '2023-09-29', 1.50);
INSERT INTO loan VALUES (53, 43, 13, 3, '2023-03-24', '2023-04-14', '2023-03-28', NULL);
INSERT INTO loan VALUES (54, 3, 24, 3, '2023-06-30', '2023-07-21', '2023-07-30', 2.25);
INSERT INTO loan VALUES (55, 7, 8, 1, '2023-07-05', '2023-07-26', '2023-07-12', NULL);
INSERT INTO loan VALUES (56, 33, 15, 4, '2023-04-06', '2023-04-27', '2023-04-09', NULL);
INSERT INTO loan VALUES (57, 31, 8, 1, '2024-03-13', '2024-04-03', NULL, NULL);
INSERT INTO loan VALUES (58, 48, 23, 3, '2024-02-14', '2024-03-06', '2024-03-06', NULL);
INSERT INTO loan VALUES (59, 29, 28, 1, '2024-03-02', '2024-03-23', NULL, NULL);
INSERT INTO loan VALUES (60, 48, 29, 4, '2023-02-20', '2023-03-13', '2023-02-28', NULL);
INSERT INTO loan VALUES (61, 45, 29, 4, '2023-07-04', '2023-07-25', '2023-07-12', NULL);
INSERT INTO loan VALUES (62, 7, 21, 3, '2023-07-18', '2023-08-08', '2023-08-09', 0.25);
INSERT INTO loan VALUES (63, 7, 38, 4, '2024-01-10', '2024-01-31', NULL, NULL);
INSERT INTO loan VALUES (64, 48, 6, 4, '2024-01-31', '2024-02-21', '2024-02-16', NULL);
INSERT INTO loan VALUES (65, 47, 26, 1, '2023-04-27', '2023-05-18', NULL, NULL);
INSERT INTO loan VALUES (66, 23, 8, 5, '2023-05-06', '2023-05-27', '2023-06-02', 1.50);
INSERT INTO loan VALUES (67, 7, 7, 2, '2023-10-09', '2023-10-30', '2023-10-22', NULL);
INSERT INTO loan VALUES (68, 12, 27, 1, '2023-05-04', '2023-05-25', '2023-05-08', NULL);
INSERT INTO loan VALUES (69, 46, 33, 1, '2023-09-20', '2023-10-11', '2023-10-17', 1.50);
INSERT INTO loan VALUES (70, 42, 28, 1, '2023-10-04', '2023-10-25', '2023-11-02', 2.00);
INSERT INTO loan VALUES (71, 19, 16, 2, '2023-07-01', '2023-07-22', '2023-07-27', 1.25);
INSERT INTO loan VALUES (72, 50, 7, 3, '2023-04-28', '2023-05-19', '2023-05-20', 0.25);
INSERT INTO loan VALUES (73, 25, 26, 1, '2023-06-30', '2023-07-21', '2023-07-10', NULL);
INSERT INTO loan VALUES (74, 13, 9, 1, '2023-10-08', '2023-10-29', '2023-10-11', NULL);
INSERT INTO loan VALUES (75, 25, 33, 4, '2023-10-14', '2023-11-04', '2023-11-07', 0.75);
INSERT INTO loan VALUES (76, 15, 17, 4, '2023-07-19', '2023-08-09', '2023-08-17', 2.00);
INSERT INTO loan VALUES (77, 31, 6, 2, '2023-06-28', '2023-07-19', '2023-07-20', 0.25);
INSERT INTO loan VALUES (78, 45, 26, 4, '2023-09-18', '2023-10-09', '2023-10-11', 0.50);
INSERT INTO loan VALUES (79, 49, 33, 3, '2023-02-01', '2023-02-22', '2023-03-03', 2.25);
INSERT INTO loan VALUES (80, 28, 6, 5, '2024-03-14', '2024-04-04', NULL, NULL);
INSERT INTO loan VALUES (81, 1, 16, 2, '2023-05-31', '2023-06-21', '2023-06-22', 0.25);
INSERT INTO loan VALUES (82, 23, 15, 5, '2024-02-25', '2024-03-17', '2024-03-16', NULL);
INSERT INTO loan VALUES (83, 21, 8, 2, '2023-09-29', '2023-10-20', '2023-10-02', NULL);
INSERT INTO loan VALUES (84, 43, 23, 5, '2023-11-17', '2023-12-08', '2023-12-03', NULL);
INSERT INTO loan VALUES (85, 21, 15, 2, '2023-01-10', '2023-01-31', '2023-02-04', 1.00);
INSERT INTO loan VALUES (86, 30, 20, 4, '2023-11-19', '2023-12-10', '2023-12-14', 1.00);
INSERT INTO loan VALUES (87, 8, 9, 2, '2023-07-20', '2023-08-10', '2023-08-01', NULL);
INSERT INTO loan VALUES (88, 40, 36, 2, '2023-03-18', '2023-04-08', '2023-04-05', NULL);
INSERT INTO loan VALUES (89, 6, 8, 3, '2023-02-06', '2023-02-27', NULL, NULL);
INSERT INTO loan VALUES (90, 23, 24, 1, '2023-07-09', '2023-07-30', '2023-07-17', NULL);
INSERT INTO loan VALUES (91, 34, 10, 4, '2024-03-20', '2024-04-10', NULL, NULL);
INSERT INTO loan VALUES (92, 38, 26, 1, '2023-08-15', '2023-09-05', '2023-09-11', 1.50);
INSERT INTO loan VALUES (93, 45, 7, 1, '2023-05-12', '2023-06-02', '2023-05-18', NULL);
INSERT INTO loan VALUES (94, 54, 16, 1, '2024-03-02', '2024-03-23', NULL, NULL);
INSERT INTO loan VALUES (95, 53, 17, 3, '2023-12-23', '2024-01-13', '2023-12-28', NULL);
INSERT INTO loan VALUES (96, 9, 4, 2, '2024-02-13', '2024-03-05', '2024-02-28', NULL);
INSERT INTO loan VALUES (97, 30, 4, 5, '2023-03-25', '2023-04-15', '2023-04-07', NULL);
INSERT INTO loan VALUES (98, 35, 33, 2, '2023-09-20', '2023-10-11', '2023-10-16', 1.25);
INSERT INTO loan VALUES (99, 33, 29, 3, '2023-03-02', '2023-03-23', '2023-03-15', NULL);
INSERT INTO loan VALUES (100, 1, 10, 5, '2023-02-18', '2023-03-11', '2023-03-18', 1.75);
INSERT INTO loan VALUES (101, 32, 19, 4, '2024-02-04', '2024-02-25', '2024-03-01', 1.25);
INSERT INTO loan VALUES (102, 34, 28, 2, '2024-01-10', '2024-01-31', '2024-02-06', 1.50);
INSERT INTO loan VALUES (103, 32, 18, 5, '2024-03-06', '2024-03-27', NULL, NULL);
INSERT INTO loan VALUES (104, 37, 16, 2, '2023-12-06', '2023-12-27', '2024-01-02', 1.50);
INSERT INTO loan VALUES (105, 31, 26, 1, '2023-09-09', '2023-09-30', '2023-09-17', NULL);
INSERT INTO loan VALUES (106, 34, 21, 3, '2024-01-28', '2024-02-18', '2024-02-02', NULL);
INSERT INTO loan VALUES (107, 28, 5, 1, '2023-01-14', '2023-02-04', '2023-01-25', NULL);
INSERT INTO loan VALUES (108, 26, 37, 4, '2023-01-26', '2023-02-16', '2023-01-31', NULL);
INSERT INTO loan VALUES (109, 10, 18, 1, '2023-04-08', '2023-04-29', '2023-04-13', NULL);
INSERT INTO loan VALUES (110, 41, 13, 4, '2023-11-07', '2023-11-28', '2023-12-06', 2.00);
INSERT INTO loan VALUES (111, 5, 36, 2, '2023-01-21', '2023-02-11', '2023-02-09', NULL);
INSERT INTO loan VALUES (112, 32, 34, 4, '2023-12-05', '2023-12-26', '2023-12-21', NULL);
INSERT INTO loan VALUES (113, 5, 35, 3, '2023-05-23', '2023-06-13', '2023-06-06', NULL);
INSERT INTO loan VALUES (114, 12, 11, 4, '2023-02-25', '2023-03-18', '2023-03-01', NULL);
INSERT INTO loan VALUES (115, 47, 29, 1, '2023-04-10', '2023-05-01', '2023-04-13', NULL);
INSERT INTO loan VALUES (116, 30, 14, 3, '2023-08-26', '2023-09-16', '2023-09-25', 2.25);
INSERT INTO loan VALUES (117, 43, 18, 1, '2024-03-01', '2024-03-22', '2024-03-21', NULL);
INSERT INTO loan VALUES (118, 22, 27, 1, '2023-08-17', '2023-09-07', '2023-09-13', 1.50);
INSERT INTO loan VALUES (119, 23, 6, 1, '2023-07-28', '2023-08-18', '2023-08-17', NULL);
INSERT INTO loan VALUES (120, 11, 10, 5, '2023-09-21', '2023-10-12', '2023-10-17', 1.25);
INSERT INTO loan VALUES (121, 36, 26, 3, '2023-05-26', '2023-06-16', '2023-06-13', NULL);
INSERT INTO loan VALUES (122, 35, 23, 1, '2024-03-20', '2024-04-10', NULL, NULL);
INSERT INTO loan VALUES (123, 4, 23, 3, '2024-03-15', '2024-04-05', NULL, NULL);
INSERT INTO loan VALUES (124, 10, 20, 1, '2023-05-15', '2023-06-05', '2023-06-14', 2.25);
INSERT INTO loan VALUES (125, 22, 7, 1, '2024-02-04', '2024-02-25', '2024-03-01', 1.25);
INSERT INTO loan VALUES (126, 25, 30, 4, '2023-08-29', '2023-09-19', '2023-09-10', NULL);
INSERT INTO loan VALUES (127, 6, 8, 3, '2024-03-23', '2024-04-13', NULL, NULL);
INSERT INTO loan VALUES (128, 7, 24, 5, '2023-01-19', '2023-02-09', '2023-02-11', 0.50);
INSERT INTO loan VALUES (129, 36, 37, 3, '2023-02-25', '2023-03-18', '2023-03-12', NULL);
INSERT INTO loan VALUES (130, 35, 2, 4, '2023-05-24', '2023-06-14', '2023-06-03', NULL);
INSERT INTO loan VALUES (131, 31, 18, 5, '2023-04-27', '2023-05-18', '2023-05-18', NULL);
INSERT INTO loan VALUES (132, 37, 3, 2, '2024-01-19', '2024-02-09', '2024-02-13', 1.00);
INSERT INTO loan VALUES (133, 6, 27, 3, '2024-02-16', '2024-03-08', '2024-03-17', 2.25);
INSERT INTO loan VALUES (134, 34, 3, 5, '2023-06-19', '2023-07-10', '2023-06-25', NULL);
INSERT INTO loan VALUES (135, 49, 36, 1, '2023-07-05', '2023-07-26', '2023-07-27', 0.25);
INSERT INTO loan VALUES (136, 4, 33, 5, '2024-02-14', '2024-03-06', '2024-03-09', 0.75);
INSERT INTO loan VALUES (137, 25, 2, 3, '2023-08-28', '2023-09-18', '2023-09-12', NULL);
INSERT INTO loan VALUES (138, 2, 18, 3, '2023-12-12', '2024-01-02', '2024-01-11', 2.25);
INSERT INTO loan VALUES (139, 7, 16, 5, '2024-01-03', '2024-01-24', '2024-01-15', NULL);
INSERT INTO loan VALUES (140, 22, 30, 1, '2023-05-25', '2023-06-15', '2023-06-08', NULL);
INSERT INTO loan VALUES (141, 28, 29, 5, '2023-09-01', '2023-09-22', '2023-09-27', 1.25);
INSERT INTO loan VALUES (142, 3, 23, 3, '2023-10-09', '2023-10-30', '2023-11-04', 1.25);
INSERT INTO loan VALUES (143, 50, 26, 1, '2023-08-29', '2023-09-19', '2023-09-04', NULL);
INSERT INTO loan VALUES (144, 40, 30, 2, '2023-04-30', '2023-05-21', '2023-05-16', NULL);
INSERT INTO loan VALUES (145, 14, 18, 1, '2023-02-16', '2023-03-09', NULL, NULL);
INSERT INTO loan VALUES (146, 21, 21, 1, '2023-07-23', '2023-08-13', '2023-08-08', NULL);
INSERT INTO loan VALUES (147, 44, 16, 1, '2023-05-06', '2023-05-27', '2023-05-13', NULL);
INSERT INTO loan VALUES (148, 45, 6, 4, '2023-09-13', '2023-10-04', '2023-09-21', NULL);
INSERT INTO loan VALUES (149, 34, 27, 2, '2023-05-31', '2023-06-21', '2023-06-28', 1.75);
INSERT INTO loan VALUES (150, 20, 2, 1, '2023-09-23', '2023-10-14', '2023-09-29', NULL);
INSERT INTO loan VALUES (151, 12, 33, 4, '2023-07-04', '2023-07-25', '2023-07-15', NULL);
INSERT INTO loan VALUES (152, 39, 38, 3, '2023-06-16', '2023-07-07', '2023-07-10', 0.75);
INSERT INTO loan VALUES (153, 26, 1, 5, '2023-02-22', '2023-03-15', '2023-03-17', 0.50);
INSERT INTO loan VALUES (154, 40, 15, 3, '2024-03-05', '2024-03-26', NULL, NULL);
INSERT INTO loan VALUES (155, 32, 3, 3, '2023-10-21', '2023-11-11', '2023-11-02', NULL);
INSERT INTO loan VALUES (156, 7, 16, 1, '2023-08-06', '2023-08-27', '2023-08-22', NULL);
INSERT INTO loan VALUES (157, 16, 8, 3, '2023-07-15', '2023-08-05', '2023-08-09', 1.00);
INSERT INTO loan VALUES (158, 54, 20, 5, '2023-06-26', '2023-07-17', '2023-07-15', NULL);
INSERT INTO loan VALUES (159, 4, 32, 2, '2024-01-23', '2024-02-13', '2024-02-21', 2.00);
INSERT INTO loan VALUES (160, 49, 34, 3, '2023-08-11', '2023-09-01', '2023-08-27', NULL);
INSERT INTO loan VALUES (161, 30, 14, 3, '2023-04-07', '2023-04-28', '2023-05-02', 1.00);
INSERT INTO loan VALUES (162, 28, 24, 4, '2024-01-24', '2024-02-14', '2024-01-30', NULL);
INSERT INTO loan VALUES (163, 23, 25, 1, '2023-07-24', '2023-08-14', '2023-07-31', NULL);
INSERT INTO loan VALUES (164, 40, 37, 1, '2023-08-18', '2023-09-08', '2023-08-29', NULL);
INSERT INTO loan VALUES (165, 38, 19, 1, '2023-06-14', '2023-07-05', '2023-07-05', NULL);
INSERT INTO loan VALUES (166, 26, 3, 3, '2023-12-21', '2024-01-11', '2023-12-27', NULL);
INSERT INTO loan VALUES (167, 45, 12, 5, '2023-10-29', '2023-11-19', '2023-11-10', NULL);
INSERT INTO loan VALUES (168, 41, 25, 1, '2023-03-19', '2023-04-09', '2023-04-03', NULL);
INSERT INTO loan VALUES (169, 16, 32, 3, '2023-04-06', '2023-04-27', '2023-04-24', NULL);
INSERT INTO loan VALUES (170, 18, 29, 1, '2023-07-27', '2023-08-17', '2023-08-12', NULL);
INSERT INTO loan VALUES (171, 38, 38, 3, '2023-08-22', '2023-09-12', NULL, NULL);
INSERT INTO loan VALUES (172, 53, 17, 5, '2024-01-13', '2024-02-03', '2024-02-01', NULL);
INSERT INTO loan VALUES (173, 9, 14, 1, '2023-11-16', '2023-12-07', '2023-11-21', NULL);
INSERT INTO loan VALUES (174, 40, 5, 4, '2023-02-24', '2023-03-17', '2023-03-19', 0.50);
INSERT INTO loan VALUES (175, 28, 20, 4, '2023-10-09', '2023-10-30', '2023-11-02', 0.75);
INSERT INTO loan VALUES (176, 47, 34, 4, '2023-09-27', '2023-10-18', NULL, NULL);
INSERT INTO loan VALUES (177, 30, 9, 2, '2024-01-15', '2024-02-05', '2024-01-31', NULL);
INSERT INTO loan VALUES (178, 26, 1, 5, '2023-12-08', '2023-12-29', '2023-12-23', NULL);
INSERT INTO loan VALUES (179, 12, 19, 3, '2023-03-14', '2023-04-04', '2023-03-29', NULL);
INSERT INTO loan VALUES (180, 5, 19, 1, '2023-04-28', '2023-05-19', '2023-05-26', 1.75);
