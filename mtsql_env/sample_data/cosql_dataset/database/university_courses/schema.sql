-- university_courses: part of the mtsql bundled sample data (Apache-2.0), written for mtsql.
-- Source of truth for university_courses.sqlite; rebuild with scripts/build_sample_data.py.
PRAGMA foreign_keys = ON;

CREATE TABLE department (
    dept_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    building TEXT,
    budget INTEGER,
    founded_year INTEGER
);

INSERT INTO department VALUES (1, 'Computer Science', 'Turing Hall', 1250000, 1968);
INSERT INTO department VALUES (2, 'Mathematics', 'Noether Building', 820000, 1901);
INSERT INTO department VALUES (3, 'Physics', 'Curie Laboratory', 1480000, 1905);
INSERT INTO department VALUES (4, 'History', 'Gibbon Hall', 410000, 1899);
INSERT INTO department VALUES (5, 'Biology', 'Darwin Center', 1130000, 1921);
INSERT INTO department VALUES (6, 'Economics', 'Keynes House', 690000, 1950);
INSERT INTO department VALUES (7, 'Philosophy', 'Gibbon Hall', 300000, 1899);

CREATE TABLE instructor (
    instructor_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    dept_id INTEGER NOT NULL,
    salary INTEGER,
    hire_date DATE,
    title TEXT,
    FOREIGN KEY (dept_id) REFERENCES department (dept_id)
);

INSERT INTO instructor VALUES (1, 'Adriana Holt', 1, 127000, '2003-09-29', 'Professor');
INSERT INTO instructor VALUES (2, 'Bernard Kwan', 2, 138000, '2006-08-09', 'Professor');
INSERT INTO instructor VALUES (3, 'Celia Marsh', 3, 61000, '2013-05-18', 'Lecturer');
INSERT INTO instructor VALUES (4, 'Dmitri Sokolov', 4, 74000, '1998-12-17', 'Lecturer');
INSERT INTO instructor VALUES (5, 'Eleanor Vance', 5, 94000, '2019-05-26', 'Assistant Professor');
INSERT INTO instructor VALUES (6, 'Fernando Ruiz', 6, 139000, '2000-06-12', 'Professor');
INSERT INTO instructor VALUES (7, 'Gita Bose', 7, 60000, '2017-02-09', 'Lecturer');
INSERT INTO instructor VALUES (8, 'Harold Pike', 1, 78000, '2013-07-07', 'Assistant Professor');
INSERT INTO instructor VALUES (9, 'Irene Lambert', 2, 100000, '1996-09-22', 'Assistant Professor');
INSERT INTO instructor VALUES (10, 'Jamal Carter', 3, 99000, '2010-02-25', 'Associate Professor');
INSERT INTO instructor VALUES (11, 'Keiko Sato', 4, 98000, '2004-04-30', 'Associate Professor');
INSERT INTO instructor VALUES (12, 'Leopold Brandt', 5, 81000, '2006-02-25', 'Assistant Professor');
INSERT INTO instructor VALUES (13, 'Miriam Stone', 6, 94000, '2006-03-08', 'Assistant Professor');
INSERT INTO instructor VALUES (14, 'Nathan Ortiz', 7, 128000, '2007-05-08', 'Professor');
INSERT INTO instructor VALUES (15, 'Orla Byrne', 1, 104000, '1998-03-24', 'Associate Professor');
INSERT INTO instructor VALUES (16, 'Pradeep Nair', 2, 61000, '2007-02-17', 'Lecturer');
INSERT INTO instructor VALUES (17, 'Rebecca Lowe', 3, 96000, '2002-10-24', 'Associate Professor');
INSERT INTO instructor VALUES (18, 'Stefan Kraus', 4, 58000, '2003-03-13', 'Lecturer');
INSERT INTO instructor VALUES (19, 'Teresa Quinn', 5, 57000, '2009-06-20', 'Lecturer');
INSERT INTO instructor VALUES (20, 'Victor Almeida', 6, 98000, '1998-03-30', 'Associate Professor');
INSERT INTO instructor VALUES (21, 'Wendy Fairbanks', 7, 56000, '1999-10-14', 'Lecturer');
INSERT INTO instructor VALUES (22, 'Yosef Adler', 1, 82000, '2002-07-29', 'Assistant Professor');

CREATE TABLE course (
    course_id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    dept_id INTEGER NOT NULL,
    credits INTEGER,
    level INTEGER,
    FOREIGN KEY (dept_id) REFERENCES department (dept_id)
);

INSERT INTO course VALUES (1, 'CS 101', 'Introduction to Programming', 1, 4, 100);
INSERT INTO course VALUES (2, 'CS 202', 'Data Structures', 1, 3, 200);
INSERT INTO course VALUES (3, 'CS 203', 'Algorithms', 1, 3, 200);
INSERT INTO course VALUES (4, 'CS 304', 'Databases', 1, 5, 300);
INSERT INTO course VALUES (5, 'CS 305', 'Operating Systems', 1, 5, 300);
INSERT INTO course VALUES (6, 'CS 406', 'Machine Learning', 1, 3, 400);
INSERT INTO course VALUES (7, 'CS 407', 'Computer Networks', 1, 3, 400);
INSERT INTO course VALUES (8, 'MATH 101', 'Calculus I', 2, 3, 100);
INSERT INTO course VALUES (9, 'MATH 202', 'Linear Algebra', 2, 4, 200);
INSERT INTO course VALUES (10, 'MATH 203', 'Probability', 2, 5, 200);
INSERT INTO course VALUES (11, 'MATH 304', 'Real Analysis', 2, 3, 300);
INSERT INTO course VALUES (12, 'MATH 305', 'Number Theory', 2, 3, 300);
INSERT INTO course VALUES (13, 'PHYS 101', 'Mechanics', 3, 4, 100);
INSERT INTO course VALUES (14, 'PHYS 202', 'Electromagnetism', 3, 3, 200);
INSERT INTO course VALUES (15, 'PHYS 203', 'Quantum Physics', 3, 5, 200);
INSERT INTO course VALUES (16, 'PHYS 304', 'Thermodynamics', 3, 3, 300);
INSERT INTO course VALUES (17, 'HIST 101', 'Ancient Civilizations', 4, 4, 100);
INSERT INTO course VALUES (18, 'HIST 202', 'Medieval Europe', 4, 3, 200);
INSERT INTO course VALUES (19, 'HIST 203', 'Modern World History', 4, 4, 200);
INSERT INTO course VALUES (20, 'HIST 304', 'History of Science', 4, 5, 300);
INSERT INTO course VALUES (21, 'BIO 101', 'Cell Biology', 5, 3, 100);
INSERT INTO course VALUES (22, 'BIO 202', 'Genetics', 5, 5, 200);
INSERT INTO course VALUES (23, 'BIO 203', 'Ecology', 5, 3, 200);
INSERT INTO course VALUES (24, 'BIO 304', 'Microbiology', 5, 5, 300);
INSERT INTO course VALUES (25, 'ECON 101', 'Microeconomics', 6, 3, 100);
INSERT INTO course VALUES (26, 'ECON 202', 'Macroeconomics', 6, 3, 200);
INSERT INTO course VALUES (27, 'ECON 203', 'Econometrics', 6, 4, 200);
INSERT INTO course VALUES (28, 'ECON 304', 'Game Theory', 6, 4, 300);
INSERT INTO course VALUES (29, 'PHIL 101', 'Logic', 7, 3, 100);
INSERT INTO course VALUES (30, 'PHIL 202', 'Ethics', 7, 3, 200);
INSERT INTO course VALUES (31, 'PHIL 203', 'Philosophy of Mind', 7, 5, 200);

CREATE TABLE student (
    student_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    major_dept_id INTEGER,
    enrollment_year INTEGER,
    gpa REAL,
    home_state TEXT,
    FOREIGN KEY (major_dept_id) REFERENCES department (dept_id)
);

INSERT INTO student VALUES (1, 'Abigail', 'Nash', 7, 2021, 2.70, 'California');
INSERT INTO student VALUES (2, 'Brandon', 'Nash', 1, 2023, 3.31, 'Ohio');
INSERT INTO student VALUES (3, 'Cecilia', 'Grant', 4, 2023, 2.87, 'New York');
INSERT INTO student VALUES (4, 'Dylan', 'Price', 5, 2019, 3.08, 'Ohio');
INSERT INTO student VALUES (5, 'Esther', 'Kim', 7, 2021, 2.31, 'Florida');
INSERT INTO student VALUES (6, 'Frank', 'Hayes', 3, 2022, 3.76, 'Ohio');
INSERT INTO student VALUES (7, 'Gloria', 'Irwin', 2, 2021, NULL, 'Ohio');
INSERT INTO student VALUES (8, 'Henry', 'Kim', 3, 2022, 3.10, 'California');
INSERT INTO student VALUES (9, 'Iris', 'Castillo', 7, 2021, 3.30, 'Ohio');
INSERT INTO student VALUES (10, 'Jack', 'Grant', 7, 2019, 2.84, 'Ohio');
INSERT INTO student VALUES (11, 'Kayla', 'Ramos', 2, 2022, 3.80, 'Florida');
INSERT INTO student VALUES (12, 'Lucas', 'Price', 6, 2021, 3.33, 'Florida');
INSERT INTO student VALUES (13, 'Madison', 'Nash', 7, 2021, 3.43, 'New York');
INSERT INTO student VALUES (14, 'Nolan', 'Castillo', 1, 2019, 3.83, 'Oregon');
INSERT INTO student VALUES (15, 'Olivia', 'Mendez', 7, 2023, 3.57, 'Oregon');
INSERT INTO student VALUES (16, 'Parker', 'Ortega', 3, 2021, 3.64, 'New York');
INSERT INTO student VALUES (17, 'Ruby', 'Ortega', 5, 2020, 3.52, 'New York');
INSERT INTO student VALUES (18, 'Simon', 'Hayes', 1, 2019, 3.58, 'Illinois');
INSERT INTO student VALUES (19, 'Tessa', 'Ortega', 3, 2023, 3.87, 'Washington');
INSERT INTO student VALUES (20, 'Victor', 'Dawson', 3, 2022, 3.88, 'New York');
INSERT INTO student VALUES (21, 'Willow', 'Mendez', 6, 2021, NULL, 'California');
INSERT INTO student VALUES (22, 'Xander', 'Ortega', 6, 2022, 2.53, 'Florida');
INSERT INTO student VALUES (23, 'Yasmin', 'Abbott', 1, 2019, 3.25, 'Florida');
INSERT INTO student VALUES (24, 'Zachary', 'Ellis', 6, 2023, 3.59, 'Oregon');
INSERT INTO student VALUES (25, 'Amir', 'Irwin', 3, 2023, 2.16, 'Ohio');
INSERT INTO student VALUES (26, 'Bella', 'Foster', 2, 2021, 3.19, 'Illinois');
INSERT INTO student VALUES (27, 'Connor', 'Ellis', 4, 2022, 3.80, 'Florida');
INSERT INTO student VALUES (28, 'Daisy', 'Kim', 6, 2021, 2.38, 'Florida');
INSERT INTO student VALUES (29, 'Elliot', 'Ramos', 6, 2021, 3.76, 'Florida');
INSERT INTO student VALUES (30, 'Freya', 'Tran', 3, 2019, 3.72, 'Florida');
INSERT INTO student VALUES (31, 'Gavin', 'Shah', 4, 2020, 3.75, 'Washington');
INSERT INTO student VALUES (32, 'Hazel', 'Ellis', 7, 2023, NULL, 'Oregon');
INSERT INTO student VALUES (33, 'Isaac', 'Price', 7, 2019, NULL, 'Washington');
INSERT INTO student VALUES (34, 'Jade', 'Castillo', 6, 2019, 2.62, 'New York');
INSERT INTO student VALUES (35, 'Kevin', 'Brooks', 2, 2021, 3.88, 'Oregon');
INSERT INTO student VALUES (36, 'Leah', 'Foster', 5, 2022, 2.81, 'Texas');
INSERT INTO student VALUES (37, 'Miles', 'Tran', 4, 2021, 3.47, 'Oregon');
INSERT INTO student VALUES (38, 'Nora', 'Kim', 7, 2022, NULL, 'California');
INSERT INTO student VALUES (39, 'Owen', 'Ellis', 3, 2020, 2.52, 'California');
INSERT INTO student VALUES (40, 'Piper', 'Ramos', 4, 2019, 3.46, 'Florida');
INSERT INTO student VALUES (41, 'Reid', 'Abbott', 5, 2019, 2.04, 'Texas');
INSERT INTO student VALUES (42, 'Sienna', 'Price', 3, 2021, NULL, 'Texas');
INSERT INTO student VALUES (43, 'Tobias', 'Grant', 4, 2023, NULL, 'Illinois');
INSERT INTO student VALUES (44, 'Uma', 'Ramos', 5, 2023, 2.37, 'Oregon');
INSERT INTO student VALUES (45, 'Vince', 'Lee', 6, 2023, 2.67, 'Washington');

CREATE TABLE teaches (
    teaches_id INTEGER PRIMARY KEY,
    instructor_id INTEGER NOT NULL,
    course_id INTEGER NOT NULL,
    semester TEXT,
    year INTEGER,
    FOREIGN KEY (instructor_id) REFERENCES instructor (instructor_id),
    FOREIGN KEY (course_id) REFERENCES course (course_id)
);

INSERT INTO teaches VALUES (1, 15, 1, 'Spring', 2023);
INSERT INTO teaches VALUES (2, 1, 1, 'Fall', 2023);
INSERT INTO teaches VALUES (3, 22, 1, 'Spring', 2024);
INSERT INTO teaches VALUES (4, 1, 2, 'Spring', 2023);
INSERT INTO teaches VALUES (5, 15, 2, 'Fall', 2023);
INSERT INTO teaches VALUES (6, 15, 3, 'Spring', 2024);
INSERT INTO teaches VALUES (7, 15, 3, 'Fall', 2023);
INSERT INTO teaches VALUES (8, 1, 4, 'Fall', 2022);
INSERT INTO teaches VALUES (9, 1, 4, 'Spring', 2023);
INSERT INTO teaches VALUES (10, 1, 4, 'Fall', 2023);
INSERT INTO teaches VALUES (11, 15, 5, 'Fall', 2023);
INSERT INTO teaches VALUES (12, 22, 5, 'Spring', 2024);
INSERT INTO teaches VALUES (13, 22, 5, 'Fall', 2022);
INSERT INTO teaches VALUES (14, 15, 6, 'Spring', 2023);
INSERT INTO teaches VALUES (15, 15, 7, 'Spring', 2024);
INSERT INTO teaches VALUES (16, 8, 7, 'Fall', 2022);
INSERT INTO teaches VALUES (17, 1, 7, 'Spring', 2023);
INSERT INTO teaches VALUES (18, 9, 8, 'Fall', 2023);
INSERT INTO teaches VALUES (19, 9, 8, 'Fall', 2022);
INSERT INTO teaches VALUES (20, 2, 9, 'Fall', 2023);
INSERT INTO teaches VALUES (21, 16, 10, 'Fall', 2022);
INSERT INTO teaches VALUES (22, 16, 10, 'Fall', 2023);
INSERT INTO teaches VALUES (23, 2, 11, 'Fall', 2023);
INSERT INTO teaches VALUES (24, 16, 12, 'Fall', 2022);
INSERT INTO teaches VALUES (25, 17, 13, 'Fall', 2022);
INSERT INTO teaches VALUES (26, 3, 13, 'Spring', 2023);
INSERT INTO teaches VALUES (27, 10, 13, 'Fall', 2023);
INSERT INTO teaches VALUES (28, 10, 14, 'Spring', 2024);
INSERT INTO teaches VALUES (29, 17, 14, 'Fall', 2022);
INSERT INTO teaches VALUES (30, 17, 14, 'Spring', 2023);
INSERT INTO teaches VALUES (31, 10, 15, 'Fall', 2022);
INSERT INTO teaches VALUES (32, 3, 15, 'Fall', 2023);
INSERT INTO teaches VALUES (33, 3, 15, 'Spring', 2023);
INSERT INTO teaches VALUES (34, 3, 16, 'Spring', 2024);
INSERT INTO teaches VALUES (35, 3, 16, 'Fall', 2023);
INSERT INTO teaches VALUES (36, 3, 16, 'Fall', 2022);
INSERT INTO teaches VALUES (37, 4, 17, 'Fall', 2022);
INSERT INTO teaches VALUES (38, 11, 17, 'Fall', 2023);
INSERT INTO teaches VALUES (39, 11, 18, 'Fall', 2023);
INSERT INTO teaches VALUES (40, 11, 18, 'Spring', 2024);
INSERT INTO teaches VALUES (41, 18, 18, 'Spring', 2023);
INSERT INTO teaches VALUES (42, 4, 19, 'Spring', 2023);
INSERT INTO teaches VALUES (43, 18, 19, 'Spring', 2024);
INSERT INTO teaches VALUES (44, 11, 19, 'Fall', 2023);
INSERT INTO teaches VALUES (45, 18, 20, 'Fall', 2022);
INSERT INTO teaches VALUES (46, 18, 20, 'Fall', 2023);
INSERT INTO teaches VALUES (47, 5, 21, 'Fall', 2022);
INSERT INTO teaches VALUES (48, 19, 22, 'Fall', 2023);
INSERT INTO teaches VALUES (49, 12, 23, 'Fall', 2023);
INSERT INTO teaches VALUES (50, 5, 24, 'Fall', 2023);
INSERT INTO teaches VALUES (51, 13, 25, 'Spring', 2023);
INSERT INTO teaches VALUES (52, 20, 26, 'Fall', 2023);
INSERT INTO teaches VALUES (53, 20, 26, 'Spring', 2024);
INSERT INTO teaches VALUES (54, 6, 26, 'Fall', 2022);
INSERT INTO teaches VALUES (55, 20, 27, 'Fall', 2023);
INSERT INTO teaches VALUES (56, 20, 27, 'Fall', 2022);
INSERT INTO teaches VALUES (57, 20, 27, 'Spring', 2023);
INSERT INTO teaches VALUES (58, 13, 28, 'Spring', 2023);
INSERT INTO teaches VALUES (59, 13, 28, 'Fall', 2023);
INSERT INTO teaches VALUES (60, 21, 29, 'Spring', 2024);
INSERT INTO teaches VALUES (61, 7, 29, 'Fall', 2023);
INSERT INTO teaches VALUES (62, 7, 29, 'Fall', 2022);
INSERT INTO teaches VALUES (63, 7, 30, 'Fall', 2023);
INSERT INTO teaches VALUES (64, 14, 30, 'Spring', 2024);
INSERT INTO teaches VALUES (65, 14, 30, 'Spring', 2023);
INSERT INTO teaches VALUES (66, 21, 31, 'Fall', 2023);
INSERT INTO teaches VALUES (67, 7, 31, 'Fall', 2022);

CREATE TABLE enrollment (
    enrollment_id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL,
    course_id INTEGER NOT NULL,
    semester TEXT,
    year INTEGER,
    grade TEXT,
    FOREIGN KEY (student_id) REFERENCES student (student_id),
    FOREIGN KEY (course_id) REFERENCES course (course_id)
);

INSERT INTO enrollment VALUES (1, 40, 15, 'Fall', 2022, 'C+');
INSERT INTO enrollment VALUES (2, 13, 14, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (3, 16, 19, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (4, 38, 31, 'Fall', 2023, 'D');
INSERT INTO enrollment VALUES (5, 31, 10, 'Fall', 2022, 'A-');
INSERT INTO enrollment VALUES (6, 21, 14, 'Fall', 2022, 'C+');
INSERT INTO enrollment VALUES (7, 8, 13, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (8, 11, 14, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (9, 37, 27, 'Spring', 2023, 'C');
INSERT INTO enrollment VALUES (10, 33, 7, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (11, 11, 18, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (12, 28, 30, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (13, 12, 17, 'Fall', 2023, 'B+');
INSERT INTO enrollment VALUES (14, 22, 1, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (15, 6, 13, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (16, 14, 15, 'Fall', 2022, 'D');
INSERT INTO enrollment VALUES (17, 10, 17, 'Fall', 2022, 'F');
INSERT INTO enrollment VALUES (18, 32, 19, 'Spring', 2023, 'B-');
INSERT INTO enrollment VALUES (19, 30, 13, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (20, 24, 7, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (21, 43, 1, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (22, 18, 4, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (23, 40, 23, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (24, 39, 17, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (25, 16, 28, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (26, 7, 15, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (27, 25, 14, 'Spring', 2023, 'F');
INSERT INTO enrollment VALUES (28, 23, 18, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (29, 17, 5, 'Fall', 2023, 'B-');
INSERT INTO enrollment VALUES (30, 9, 4, 'Fall', 2022, 'B+');
INSERT INTO enrollment VALUES (31, 5, 10, 'Fall', 2023, 'B-');
INSERT INTO enrollment VALUES (32, 17, 14, 'Spring', 2023, 'B-');
INSERT INTO enrollment VALUES (33, 2, 9, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (34, 8, 14, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (35, 11, 26, 'Fall', 2022, 'F');
INSERT INTO enrollment VALUES (36, 39, 14, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (37, 14, 5, 'Fall', 2022, 'B+');
INSERT INTO enrollment VALUES (38, 37, 24, 'Fall', 2023, 'B-');
INSERT INTO enrollment VALUES (39, 7, 18, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (40, 7, 21, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (41, 22, 16, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (42, 12, 26, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (43, 35, 2, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (44, 9, 2, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (45, 27, 21, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (46, 35, 10, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (47, 3, 11, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (48, 38, 19, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (49, 37, 25, 'Spring', 2023, 'C');
INSERT INTO enrollment VALUES (50, 6, 26, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (51, 39, 26, 'Fall', 2022, 'C+');
INSERT INTO enrollment VALUES (52, 32, 30, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (53, 23, 27, 'Fall', 2022, 'C');
INSERT INTO enrollment VALUES (54, 31, 12, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (55, 33, 14, 'Fall', 2022, 'D');
INSERT INTO enrollment VALUES (56, 26, 13, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (57, 31, 1, 'Fall', 2023, 'D');
INSERT INTO enrollment VALUES (58, 16, 4, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (59, 33, 16, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (60, 4, 5, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (61, 25, 30, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (62, 2, 14, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (63, 43, 2, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (64, 11, 30, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (65, 14, 26, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (66, 41, 27, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (67, 29, 24, 'Fall', 2023, 'D');
INSERT INTO enrollment VALUES (68, 31, 30, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (69, 30, 5, 'Fall', 2022, 'A-');
INSERT INTO enrollment VALUES (70, 28, 15, 'Fall', 2022, 'D');
INSERT INTO enrollment VALUES (71, 13, 22, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (72, 6, 19, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (73, 42, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (74, 22, 11, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (75, 7, 31, 'Fall', 2022, 'C+');
INSERT INTO enrollment VALUES (76, 9, 27, 'Spring', 2023, 'B+');
INSERT INTO enrollment VALUES (77, 23, 20, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (78, 35, 7, 'Spring', 2023, 'C+');
INSERT INTO enrollment VALUES (79, 9, 13, 'Fall', 2023, 'B+');
INSERT INTO enrollment VALUES (80, 18, 8, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (81, 21, 11, 'Fall', 2023, 'B-');
INSERT INTO enrollment VALUES (82, 5, 14, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (83, 3, 18, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (84, 38, 20, 'Fall', 2022, 'B-');
INSERT INTO enrollment VALUES (85, 36, 7, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (86, 23, 2, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (87, 13, 1, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (88, 2, 10, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (89, 15, 6, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (90, 10, 9, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (91, 28, 7, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (92, 27, 29, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (93, 12, 28, 'Spring', 2023, 'B-');
INSERT INTO enrollment VALUES (94, 9, 14, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (95, 22, 26, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (96, 17, 31, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (97, 34, 14, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (98, 21, 19, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (99, 35, 15, 'Fall', 2022, 'C');
INSERT INTO enrollment VALUES (100, 34, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (101, 13, 16, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (102, 10, 20, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (103, 10, 19, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (104, 17, 16, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (105, 28, 8, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (106, 13, 27, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (107, 43, 30, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (108, 19, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (109, 14, 6, 'Spring', 2023, 'B-');
INSERT INTO enrollment VALUES (110, 7, 7, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (111, 18, 5, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (112, 22, 8, 'Fall', 2022, 'B-');
INSERT INTO enrollment VALUES (113, 9, 22, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (114, 31, 31, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (115, 25, 29, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (116, 22, 21, 'Fall', 2022, 'B-');
INSERT INTO enrollment VALUES (117, 19, 13, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (118, 4, 20, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (119, 5, 19, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (120, 11, 7, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (121, 28, 1, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (122, 25, 6, 'Spring', 2023, 'F');
INSERT INTO enrollment VALUES (123, 12, 10, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (124, 6, 3, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (125, 30, 29, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (126, 42, 15, 'Spring', 2023, 'C+');
INSERT INTO enrollment VALUES (127, 38, 30, 'Spring', 2023, 'C');
INSERT INTO enrollment VALUES (128, 34, 25, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (129, 36, 14, 'Fall', 2022, 'C');
INSERT INTO enrollment VALUES (130, 15, 4, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (131, 1, 5, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (132, 6, 30, 'Spring', 2023, 'B+');
INSERT INTO enrollment VALUES (133, 39, 30, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (134, 30, 16, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (135, 20, 8, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (136, 30, 8, 'Fall', 2022, 'A-');
INSERT INTO enrollment VALUES (137, 29, 29, 'Fall', 2022, 'A-');
INSERT INTO enrollment VALUES (138, 35, 14, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (139, 3, 8, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (140, 12, 2, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (141, 10, 18, 'Spring', 2023, 'F');
INSERT INTO enrollment VALUES (142, 40, 19, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (143, 37, 30, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (144, 43, 3, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (145, 12, 24, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (146, 31, 2, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (147, 42, 9, 'Fall', 2023, 'D');
INSERT INTO enrollment VALUES (148, 8, 26, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (149, 19, 18, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (150, 31, 4, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (151, 20, 26, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (152, 18, 1, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (153, 43, 25, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (154, 38, 12, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (155, 18, 6, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (156, 27, 27, 'Spring', 2023, 'D');
INSERT INTO enrollment VALUES (157, 36, 19, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (158, 26, 16, 'Fall', 2022, 'C+');
INSERT INTO enrollment VALUES (159, 22, 28, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (160, 13, 24, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (161, 6, 12, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (162, 4, 31, 'Fall', 2023, 'B+');
INSERT INTO enrollment VALUES (163, 34, 19, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (164, 37, 13, 'Fall', 2022, 'C');
INSERT INTO enrollment VALUES (165, 41, 19, 'Spring', 2023, 'B+');
INSERT INTO enrollment VALUES (166, 38, 14, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (167, 15, 18, 'Spring', 2023, 'B-');
INSERT INTO enrollment VALUES (168, 12, 3, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (169, 5, 24, 'Fall', 2023, 'B+');
INSERT INTO enrollment VALUES (170, 34, 21, 'Fall', 2022, 'B+');
INSERT INTO enrollment VALUES (171, 34, 17, 'Fall', 2022, 'D');
INSERT INTO enrollment VALUES (172, 42, 19, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (173, 10, 30, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (174, 12, 31, 'Fall', 2023, 'D');
INSERT INTO enrollment VALUES (175, 43, 11, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (176, 43, 22, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (177, 10, 4, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (178, 33, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (179, 6, 15, 'Spring', 2023, 'D');
INSERT INTO enrollment VALUES (180, 13, 26, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (181, 30, 31, 'Fall', 2022, 'B-');
INSERT INTO enrollment VALUES (182, 34, 9, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (183, 10, 1, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (184, 3, 9, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (185, 31, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (186, 9, 29, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (187, 41, 7, 'Spring', 2023, 'B+');
INSERT INTO enrollment VALUES (188, 42, 6, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (189, 3, 4, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (190, 29, 20, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (191, 11, 15, 'Fall', 2023, 'D');
INSERT INTO enrollment VALUES (192, 29, 26, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (193, 7, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (194, 9, 7, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (195, 39, 10, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (196, 2, 24, 'Fall', 2023, 'B+');
INSERT INTO enrollment VALUES (197, 34, 16, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (198, 2, 8, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (199, 6, 24, 'Fall', 2023, 'C+');
INSERT INTO enrollment VALUES (200, 16, 2, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (201, 8, 30, 'Fall', 2023, 'B+');
INSERT INTO enrollment VALUES (202, 40, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (203, 20, 5, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (204, 35, 28, 'Spring', 2023, 'A');
INSERT INTO enrollment VALUES (205, 12, 30, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (206, 33, 13, 'Spring', 2023, 'C+');
INSERT INTO enrollment VALUES (207, 7, 27, 'Spring', 2023, 'C');
INSERT INTO enrollment VALUES (208, 43, 28, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (209, 8, 8, 'Fall', 2023, 'C');
INSERT INTO enrollment VALUES (210, 30, 14, 'Fall', 2022, 'F');
INSERT INTO enrollment VALUES (211, 26, 14, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (212, 14, 8, 'Fall', 2022, 'C+');
INSERT INTO enrollment VALUES (213, 14, 3, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (214, 28, 2, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (215, 42, 30, 'Fall', 2023, 'A-');
INSERT INTO enrollment VALUES (216, 26, 4, 'Fall', 2022, 'C+');
INSERT INTO enrollment VALUES (217, 6, 21, 'Fall', 2022, 'A');
INSERT INTO enrollment VALUES (218, 26, 21, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (219, 30, 4, 'Fall', 2022, 'C');
INSERT INTO enrollment VALUES (220, 30, 2, 'Spring', 2023, 'C+');
INSERT INTO enrollment VALUES (221, 4, 8, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (222, 40, 25, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (223, 27, 10, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (224, 8, 16, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (225, 20, 7, 'Spring', 2023, 'B');
INSERT INTO enrollment VALUES (226, 14, 4, 'Fall', 2022, 'D');
INSERT INTO enrollment VALUES (227, 13, 17, 'Fall', 2023, 'D');
INSERT INTO enrollment VALUES (228, 26, 29, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (229, 4, 3, 'Spring', 2024, NULL);
INSERT INTO enrollment VALUES (230, 25, 5, 'Fall', 2023, 'B+');
INSERT INTO enrollment VALUES (231, 7, 26, 'Fall', 2023, 'F');
INSERT INTO enrollment VALUES (232, 16, 14, 'Spring', 2023, 'F');
INSERT INTO enrollment VALUES (233, 15, 23, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (234, 4, 30, 'Spring', 2023, 'C+');
INSERT INTO enrollment VALUES (235, 1, 4, 'Spring', 2023, 'A-');
INSERT INTO enrollment VALUES (236, 28, 26, 'Fall', 2023, 'A');
INSERT INTO enrollment VALUES (237, 31, 7, 'Fall', 2022, 'B-');
INSERT INTO enrollment VALUES (238, 12, 20, 'Fall', 2022, 'B');
INSERT INTO enrollment VALUES (239, 31, 17, 'Fall', 2023, 'B');
INSERT INTO enrollment VALUES (240, 23, 14, 'Spring', 2023, 'C');
